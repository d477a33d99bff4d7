"""Minimal netCDF-4 access through the netCDF-C library that GDAL already loads.

Sentinel-3 and Sentinel-5P products are netCDF-4 files with groups (``/PRODUCT``,
``/METADATA/EOP_METADATA/...``) and typed attributes. GDAL's classic netCDF raster driver, the
one rasterio drives, cannot create groups, so the demo generator talks to ``libnetcdf`` with
``ctypes``: the library bundled with rasterio's wheels, or the system's. Only what the demo needs
is wrapped: groups, dimensions, compressed variables, attributes of every type, and reading a
file's group/attribute tree back (to use real products as templates).

Files written by netCDF-C do not record creation times, so the output is byte-for-byte
reproducible.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

NC_GLOBAL = -1
NC_NETCDF4 = 0x1000
NC_CLOBBER = 0
NC_NOWRITE = 0

NC_TYPES: dict[int, np.dtype | None] = {
    1: np.dtype("i1"), 2: None, 3: np.dtype("i2"), 4: np.dtype("i4"), 5: np.dtype("f4"),
    6: np.dtype("f8"), 7: np.dtype("u1"), 8: np.dtype("u2"), 9: np.dtype("u4"),
    10: np.dtype("i8"), 11: np.dtype("u8"), 12: None,
}
NC_CHAR = 2
NC_STRING = 12
_BY_DTYPE = {dtype.str.lstrip("<>=|"): code for code, dtype in NC_TYPES.items() if dtype}


class NetCDFError(RuntimeError):
    pass


class NetCDFUnavailable(NetCDFError):
    pass


@lru_cache(maxsize=1)
def library() -> ctypes.CDLL:
    """The netCDF-C library: the copy inside rasterio's wheel, else the system's."""
    candidates: list[str] = []
    try:
        import rasterio

        base = Path(rasterio.__file__).resolve().parent
        for folder in (base.parent / "rasterio.libs", base / ".libs", base.parent / "rasterio"):
            candidates += sorted(glob.glob(str(folder / "libnetcdf*.so*")))
            candidates += sorted(glob.glob(str(folder / "libnetcdf*.dylib")))
            candidates += sorted(glob.glob(str(folder / "netcdf*.dll")))
    except ImportError:  # pragma: no cover - rasterio is a dependency
        pass
    system = ctypes.util.find_library("netcdf")
    if system:
        candidates.append(system)
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
            lib.nc_strerror.restype = ctypes.c_char_p
            lib.nc_inq_libvers.restype = ctypes.c_char_p
            return lib
        except OSError:
            continue
    raise NetCDFUnavailable("no netCDF-C library found (neither in rasterio's wheel nor system)")


def available() -> bool:
    try:
        library()
    except NetCDFUnavailable:
        return False
    return True


def _check(status: int, what: str) -> None:
    if status != 0:
        message = library().nc_strerror(status).decode("utf-8", "replace")
        raise NetCDFError(f"{what}: {message} ({status})")


# Writing --------------------------------------------------------------------------------------


class Group:
    """A group (or the root) of a file being written."""

    def __init__(self, ncid: int, path: str):
        self.ncid = ncid
        self.path = path

    def group(self, name: str) -> Group:
        lib = library()
        gid = ctypes.c_int()
        _check(lib.nc_def_grp(self.ncid, name.encode(), ctypes.byref(gid)), f"group {name}")
        return Group(gid.value, f"{self.path.rstrip('/')}/{name}")

    def dimension(self, name: str, size: int) -> int:
        did = ctypes.c_int()
        _check(
            library().nc_def_dim(self.ncid, name.encode(), ctypes.c_size_t(size),
                                 ctypes.byref(did)),
            f"dimension {name}",
        )
        return did.value

    def attributes(self, attrs: Mapping[str, Any], varid: int = NC_GLOBAL) -> None:
        for name, value in attrs.items():
            put_attribute(self.ncid, varid, name, value)

    def variable(
        self,
        name: str,
        data: np.ndarray,
        dims: list[int],
        attrs: Mapping[str, Any] | None = None,
        *,
        fill: Any = None,
        deflate: int = 4,
    ) -> int:
        """Define a variable; its data is written by :meth:`File.close` (after ``enddef``)."""
        lib = library()
        data = np.ascontiguousarray(data)
        code = _BY_DTYPE[data.dtype.str.lstrip("<>=|")]
        vid = ctypes.c_int()
        dim_ids = (ctypes.c_int * len(dims))(*dims)
        _check(lib.nc_def_var(self.ncid, name.encode(), code, len(dims), dim_ids,
                              ctypes.byref(vid)), f"variable {name}")
        if deflate and data.ndim:
            _check(lib.nc_def_var_deflate(self.ncid, vid.value, 1, 1, deflate), f"deflate {name}")
        if fill is not None:
            value = np.array([fill], dtype=data.dtype)
            _check(lib.nc_def_var_fill(self.ncid, vid.value, 0, value.ctypes.data_as(
                ctypes.c_void_p)), f"fill {name}")
        if attrs:
            self.attributes(attrs, vid.value)
        self._file.pending.append((self.ncid, vid.value, data))
        return vid.value

    _file: File


@dataclass
class File:
    ncid: int
    pending: list[tuple[int, int, np.ndarray]] = field(default_factory=list)

    def root(self) -> Group:
        g = Group(self.ncid, "/")
        g._file = self
        return g

    def sub(self, parent: Group, name: str) -> Group:
        g = parent.group(name)
        g._file = self
        return g


def put_attribute(ncid: int, varid: int, name: str, value: Any) -> None:
    lib = library()
    key = name.encode()
    if isinstance(value, str):
        raw = value.encode("utf-8")
        _check(lib.nc_put_att_text(ncid, varid, key, ctypes.c_size_t(len(raw)), raw),
               f"attribute {name}")
        return
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int):
        code, payload = value  # (nc type, value) as read by read_tree
        if code == NC_CHAR:
            put_attribute(ncid, varid, name, str(payload))
            return
        if code == NC_STRING:
            items = [s.encode("utf-8") for s in (payload if isinstance(payload, list)
                                                 else [payload])]
            arr = (ctypes.c_char_p * len(items))(*items)
            _check(lib.nc_put_att_string(ncid, varid, key, ctypes.c_size_t(len(items)), arr),
                   f"attribute {name}")
            return
        value = np.asarray(payload, dtype=NC_TYPES[code])
    arr = np.atleast_1d(np.asarray(value))
    if arr.dtype == np.dtype("bool"):
        arr = arr.astype("i1")
    if arr.dtype.kind == "i" and arr.dtype.itemsize == 8 and isinstance(value, int):
        arr = arr.astype("i4")
    if arr.dtype.kind == "f" and arr.dtype.itemsize == 8 and isinstance(value, float):
        arr = arr.astype("f8")
    arr = np.ascontiguousarray(arr)
    code = _BY_DTYPE[arr.dtype.str.lstrip("<>=|")]
    _check(lib.nc_put_att(ncid, varid, key, code, ctypes.c_size_t(arr.size),
                          arr.ctypes.data_as(ctypes.c_void_p)), f"attribute {name}")


@contextmanager
def create(path: Path) -> Iterator[File]:
    """A new netCDF-4 file; variables' data are written when the block ends."""
    lib = library()
    ncid = ctypes.c_int()
    _check(lib.nc_create(os.fsencode(path), NC_NETCDF4 | NC_CLOBBER, ctypes.byref(ncid)),
           f"create {path}")
    handle = File(ncid.value)
    ok = False
    try:
        yield handle
        _check(lib.nc_enddef(ncid.value), "enddef")
        for gid, vid, data in handle.pending:
            _check(lib.nc_put_var(gid, vid, data.ctypes.data_as(ctypes.c_void_p)), "write")
        ok = True
    finally:
        status = lib.nc_close(ncid.value)
        if ok:
            _check(status, f"close {path}")


# Reading --------------------------------------------------------------------------------------


@dataclass
class Node:
    """A group's attributes (name -> (nc type, value)) and sub-groups, in file order."""

    name: str
    attributes: dict[str, tuple[int, Any]] = field(default_factory=dict)
    groups: dict[str, Node] = field(default_factory=dict)

    def find(self, path: str) -> Node:
        node = self
        for part in [p for p in path.split("/") if p]:
            node = node.groups[part]
        return node


def _read_attributes(ncid: int, varid: int) -> dict[str, tuple[int, Any]]:
    lib = library()
    natts = ctypes.c_int()
    if varid == NC_GLOBAL:
        _check(lib.nc_inq_natts(ncid, ctypes.byref(natts)), "natts")
    else:
        _check(lib.nc_inq_varnatts(ncid, varid, ctypes.byref(natts)), "varnatts")
    out: dict[str, tuple[int, Any]] = {}
    name_buf = ctypes.create_string_buffer(257)
    for i in range(natts.value):
        _check(lib.nc_inq_attname(ncid, varid, i, name_buf), "attname")
        xtype = ctypes.c_int()
        length = ctypes.c_size_t()
        _check(lib.nc_inq_att(ncid, varid, name_buf, ctypes.byref(xtype), ctypes.byref(length)),
               "inq_att")
        code, n = xtype.value, length.value
        name = name_buf.value.decode("utf-8")
        if code == NC_CHAR:
            buf = ctypes.create_string_buffer(n + 1)
            _check(lib.nc_get_att_text(ncid, varid, name_buf, buf), "get_att_text")
            out[name] = (code, buf.raw[:n].decode("utf-8", "replace"))
        elif code == NC_STRING:
            arr = (ctypes.c_char_p * n)()
            _check(lib.nc_get_att_string(ncid, varid, name_buf, arr), "get_att_string")
            values = [(v or b"").decode("utf-8", "replace") for v in arr]
            lib.nc_free_string(ctypes.c_size_t(n), arr)
            out[name] = (code, values if n != 1 else values[0])
        elif code in NC_TYPES and NC_TYPES[code] is not None:
            data = np.zeros(n, dtype=NC_TYPES[code])
            _check(lib.nc_get_att(ncid, varid, name_buf, data.ctypes.data_as(ctypes.c_void_p)),
                   "get_att")
            out[name] = (code, data.tolist() if n != 1 else data[0].item())
    return out


def _read_group(ncid: int, name: str) -> Node:
    lib = library()
    node = Node(name, _read_attributes(ncid, NC_GLOBAL))
    count = ctypes.c_int()
    _check(lib.nc_inq_grps(ncid, ctypes.byref(count), None), "inq_grps")
    if count.value:
        ids = (ctypes.c_int * count.value)()
        _check(lib.nc_inq_grps(ncid, ctypes.byref(count), ids), "inq_grps")
        buf = ctypes.create_string_buffer(257)
        for gid in ids:
            _check(lib.nc_inq_grpname(gid, buf), "grpname")
            child = buf.value.decode("utf-8")
            node.groups[child] = _read_group(gid, child)
    return node


def read_tree(path: Path) -> Node:
    """Groups and attributes of a netCDF-4 file (variables are not read)."""
    lib = library()
    ncid = ctypes.c_int()
    _check(lib.nc_open(os.fsencode(path), NC_NOWRITE, ctypes.byref(ncid)), f"open {path}")
    try:
        return _read_group(ncid.value, "/")
    finally:
        lib.nc_close(ncid.value)


def write_tree(file: File, parent: Group, node: Node) -> None:
    """Re-create ``node``'s sub-groups and their attributes under ``parent``."""
    for child in node.groups.values():
        g = file.sub(parent, child.name)
        g.attributes(child.attributes)
        write_tree(file, g, child)
