"""The view services' own logic, free of any host application: what a map request means
(:mod:`.timeparam`) and how a map is drawn from the archive's browse images (:mod:`.render`).
MapProxy reaches it through the adapter in ``plugins/mapproxy_``."""
