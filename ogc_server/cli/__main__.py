from ogc_server.cli import main

main()
