"""Attributes of a netCDF-4 file's groups, read straight from the HDF5 library.

Opening a Sentinel-5P file with GDAL's netCDF driver costs ~20 ms: netCDF-C reads the
metadata of every group and variable at open, then GDAL converts all of it. The catalogue
needs only the global attributes and a few ``/METADATA`` groups, which the HDF5 library
(the copy GDAL loads, through ``ctypes``) reads in well under a millisecond.

:func:`read_groups` returns, per requested group, its attributes and sub-groups as nested
dicts, with the values GDAL's netCDF driver gives in its ``json:`` metadata domains: strings,
integers as text, floating-point numbers rounded to the digits GDAL prints (8 significant
digits for single, 16 for double precision); a one-element attribute is a value, a longer one
a list. It raises
:class:`HDF5Unavailable` when the library cannot be used and :class:`OSError` for a file that is
not HDF5 or lacks a group; callers then fall back to GDAL.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["HDF5Unavailable", "read_groups"]

H5F_ACC_RDONLY = 0
H5P_DEFAULT = 0
H5_INDEX_CRT_ORDER = 1
H5_INDEX_NAME = 0
H5_ITER_INC = 0
H5T_INTEGER = 0
H5T_FLOAT = 1
H5T_STRING = 3
H5O_TYPE_GROUP = 0

hid_t = ctypes.c_int64
herr_t = ctypes.c_int
hsize_t = ctypes.c_uint64


class HDF5Unavailable(RuntimeError):
    """The HDF5 library cannot be loaded here."""


class _LinkInfo(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("corder_valid", ctypes.c_bool),
                ("corder", ctypes.c_int64), ("cset", ctypes.c_int),
                ("u", ctypes.c_uint8 * 16)]


_ATTR_OP = ctypes.CFUNCTYPE(herr_t, hid_t, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p)
_LINK_OP = ctypes.CFUNCTYPE(herr_t, hid_t, ctypes.c_char_p, ctypes.POINTER(_LinkInfo),
                            ctypes.c_void_p)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def library() -> ctypes.CDLL:
    """The HDF5 library that GDAL (rasterio's wheel) or the system provides."""
    try:
        import rasterio
        import rasterio._base  # noqa: F401 - loads GDAL and with it its HDF5 library
    except ImportError as exc:  # pragma: no cover - rasterio is a dependency
        raise HDF5Unavailable(str(exc)) from exc
    base = Path(rasterio.__file__).resolve().parent
    candidates: list[str] = []
    for folder in (base.parent / "rasterio.libs", base / ".libs"):
        candidates += sorted(glob.glob(str(folder / "libhdf5-*.so*")))
        candidates += sorted(glob.glob(str(folder / "libhdf5.so*")))
    candidates.append("libhdf5.so")
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
            lib.H5open()
        except (OSError, AttributeError):
            continue
        _declare(lib)
        return lib
    raise HDF5Unavailable("no HDF5 library found")


def _declare(lib: ctypes.CDLL) -> None:
    lib.H5Fopen.restype = hid_t
    lib.H5Fopen.argtypes = [ctypes.c_char_p, ctypes.c_uint, hid_t]
    lib.H5Fclose.argtypes = [hid_t]
    lib.H5Gopen2.restype = hid_t
    lib.H5Gopen2.argtypes = [hid_t, ctypes.c_char_p, hid_t]
    lib.H5Gclose.argtypes = [hid_t]
    lib.H5Aiterate2.argtypes = [hid_t, ctypes.c_int, ctypes.c_int, ctypes.POINTER(hsize_t),
                                _ATTR_OP, ctypes.c_void_p]
    lib.H5Literate2.argtypes = [hid_t, ctypes.c_int, ctypes.c_int, ctypes.POINTER(hsize_t),
                                _LINK_OP, ctypes.c_void_p]
    lib.H5Aopen.restype = hid_t
    lib.H5Aopen.argtypes = [hid_t, ctypes.c_char_p, hid_t]
    lib.H5Aclose.argtypes = [hid_t]
    lib.H5Aget_type.restype = hid_t
    lib.H5Aget_type.argtypes = [hid_t]
    lib.H5Aget_space.restype = hid_t
    lib.H5Aget_space.argtypes = [hid_t]
    lib.H5Aread.argtypes = [hid_t, hid_t, ctypes.c_void_p]
    lib.H5Tget_class.argtypes = [hid_t]
    lib.H5Tget_size.restype = ctypes.c_size_t
    lib.H5Tget_size.argtypes = [hid_t]
    lib.H5Tis_variable_str.argtypes = [hid_t]
    lib.H5Tget_sign.argtypes = [hid_t]
    lib.H5Tclose.argtypes = [hid_t]
    lib.H5Sget_simple_extent_npoints.restype = ctypes.c_int64
    lib.H5Sget_simple_extent_npoints.argtypes = [hid_t]
    lib.H5Sclose.argtypes = [hid_t]
    lib.H5Treclaim.argtypes = [hid_t, hid_t, hid_t, ctypes.c_void_p]
    lib.H5Oget_info_by_name3.argtypes = [hid_t, ctypes.c_char_p, ctypes.c_void_p,
                                         ctypes.c_uint, hid_t]
    lib.H5Lexists.argtypes = [hid_t, ctypes.c_char_p, hid_t]
    lib.H5Eset_auto2.argtypes = [hid_t, ctypes.c_void_p, ctypes.c_void_p]
    lib.H5Eset_auto2(0, None, None)  # no error stacks printed on stderr
    lib.H5Gget_info.argtypes = [hid_t, ctypes.c_void_p]


def _native(lib: ctypes.CDLL, name: str) -> int:
    return hid_t.in_dll(lib, name).value


class _File:
    def __init__(self, lib: ctypes.CDLL, path: Path):
        self.lib = lib
        self.fid = lib.H5Fopen(os.fsencode(path), H5F_ACC_RDONLY, H5P_DEFAULT)
        if self.fid < 0:
            raise OSError(2, "not a readable HDF5 file", str(path))
        self.double = _native(lib, "H5T_NATIVE_DOUBLE_g")
        self.llong = _native(lib, "H5T_NATIVE_LLONG_g")
        self.ullong = _native(lib, "H5T_NATIVE_ULLONG_g")

    def close(self) -> None:
        self.lib.H5Fclose(self.fid)

    def exists(self, path: str) -> bool:
        parts = [p for p in path.split("/") if p]
        for depth in range(1, len(parts) + 1):
            if self.lib.H5Lexists(self.fid, ("/" + "/".join(parts[:depth])).encode(),
                                  H5P_DEFAULT) <= 0:
                return False
        return True

    def group(self, path: str) -> dict[str, Any]:
        gid = self.lib.H5Gopen2(self.fid, path.encode(), H5P_DEFAULT)
        if gid < 0:
            raise OSError(2, "no such group", path)
        try:
            return self._group(gid)
        finally:
            self.lib.H5Gclose(gid)

    def _group(self, gid: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        out.update(self._attributes(gid))
        for name in self._subgroups(gid):
            child = self.lib.H5Gopen2(gid, name.encode(), H5P_DEFAULT)
            if child < 0:
                continue
            try:
                out[name] = self._group(child)
            finally:
                self.lib.H5Gclose(child)
        return out

    def _names(self, gid: int, links: bool) -> list[str]:
        names: list[str] = []

        if links:
            def visit(_loc: int, name: bytes, _info: Any, _data: Any) -> int:
                names.append(name.decode("utf-8"))
                return 0

            callback: Any = _LINK_OP(visit)
            iterate = self.lib.H5Literate2
        else:
            def visit_attr(_loc: int, name: bytes, _info: Any, _data: Any) -> int:
                names.append(name.decode("utf-8"))
                return 0

            callback = _ATTR_OP(visit_attr)
            iterate = self.lib.H5Aiterate2
        index = hsize_t(0)
        # creation order when the file tracks it (netCDF-4 does), else by name
        if iterate(gid, H5_INDEX_CRT_ORDER, H5_ITER_INC, ctypes.byref(index), callback,
                   None) < 0:
            names.clear()
            index = hsize_t(0)
            if iterate(gid, H5_INDEX_NAME, H5_ITER_INC, ctypes.byref(index), callback,
                       None) < 0:
                raise OSError(5, "cannot list a group")
        return names

    def _subgroups(self, gid: int) -> list[str]:
        groups = []
        for name in self._names(gid, links=True):
            child = self.lib.H5Gopen2(gid, name.encode(), H5P_DEFAULT)
            if child >= 0:
                self.lib.H5Gclose(child)
                groups.append(name)
        return groups

    def _attributes(self, gid: int, only: tuple[str, ...] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        names = self._names(gid, links=False)
        if only is not None:
            wanted = set(only)
            names = [n for n in names if n in wanted]
        for name in names:
            if name.startswith("_Netcdf4") or name in ("_NCProperties", "DIMENSION_LIST",
                                                      "REFERENCE_LIST", "CLASS", "NAME"):
                continue
            value = self._read_attribute(gid, name)
            if value is not None:
                out[name] = value
        return out

    def _read_attribute(self, gid: int, name: str) -> Any:
        lib = self.lib
        aid = lib.H5Aopen(gid, name.encode(), H5P_DEFAULT)
        if aid < 0:
            return None
        tid = lib.H5Aget_type(aid)
        sid = lib.H5Aget_space(aid)
        try:
            count = lib.H5Sget_simple_extent_npoints(sid)
            kind = lib.H5Tget_class(tid)
            if kind == H5T_STRING:
                return self._strings(aid, tid, sid, count)
            if kind == H5T_INTEGER:
                unsigned = lib.H5Tget_sign(tid) == 0
                buffer: Any = ((ctypes.c_uint64 if unsigned else ctypes.c_int64) * count)()
                memtype = self.ullong if unsigned else self.llong
            elif kind == H5T_FLOAT:
                buffer = (ctypes.c_double * count)()
                memtype = self.double
            else:
                return None
            if count <= 0 or lib.H5Aread(aid, memtype, buffer) < 0:
                return None
            if kind == H5T_INTEGER:
                values: list[Any] = [str(v) for v in buffer]  # GDAL gives integers as text
            else:
                # GDAL writes floats with 8 and doubles with 16 significant digits
                digits = "%.8g" if lib.H5Tget_size(tid) == 4 else "%.16g"
                values = [float(digits % v) for v in buffer]
            return values[0] if count == 1 else values
        finally:
            lib.H5Sclose(sid)
            lib.H5Tclose(tid)
            lib.H5Aclose(aid)

    def _strings(self, aid: int, tid: int, sid: int, count: int) -> Any:
        lib = self.lib
        if lib.H5Tis_variable_str(tid) > 0:
            pointers = (ctypes.c_char_p * max(count, 1))()
            if lib.H5Aread(aid, tid, pointers) < 0:
                return None
            values = [(p or b"").decode("utf-8", "replace") for p in pointers[:count]]
            lib.H5Treclaim(tid, sid, H5P_DEFAULT, pointers)
        else:
            size = lib.H5Tget_size(tid)
            raw = ctypes.create_string_buffer(size * max(count, 1))
            if lib.H5Aread(aid, tid, raw) < 0:
                return None
            values = [raw.raw[i * size:(i + 1) * size].split(b"\0", 1)[0].decode(
                "utf-8", "replace") for i in range(max(count, 1))]
        return values[0] if len(values) == 1 else values


def read_groups(path: Path, groups: list[str], *, require: tuple[str, ...] = (),
                root_names: tuple[str, ...] | None = None) -> dict[str, dict[str, Any]]:
    """The attributes and sub-groups of ``groups`` ("/" is the root's attributes only).

    ``require`` names paths (groups or variables) that must exist, else :class:`OSError`;
    ``root_names`` limits the root's attributes to those (the ones present). A group that
    does not exist is left out of the answer.
    """
    lib = library()
    with _lock:
        handle = _File(lib, Path(path))
        try:
            for needed in require:
                if not handle.exists(needed):
                    raise OSError(2, "missing", needed)
            out: dict[str, dict[str, Any]] = {}
            for group in groups:
                if group == "/":
                    gid = lib.H5Gopen2(handle.fid, b"/", H5P_DEFAULT)
                    try:
                        out["/"] = handle._attributes(gid, root_names)
                    finally:
                        lib.H5Gclose(gid)
                elif handle.exists(group):
                    out[group] = handle.group(group)
            return out
        finally:
            handle.close()
