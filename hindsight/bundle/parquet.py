"""Writing a flat table as a Parquet file, with numpy and the standard library only.

The recorder writes the action track and the event list with this, so its process
never loads a columnar library (pyarrow alone costs it about 100 MB resident). Any
Parquet reader reads the result. The scope is what the track needs: required columns
(no nulls, so no definition or repetition levels) of int32, int64, float32, float64,
bool and UTF-8 strings, in one row group of one data page per column.

Layout (Parquet's File Format): ``PAR1``, per column a page header and its page, the
footer ``FileMetaData`` in the Thrift compact protocol, its length, ``PAR1``. Field ids
below are those of the spec's ``parquet.thrift``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping, Sequence

import numpy as np

from hindsight import __version__

__all__ = ["ParquetColumns", "write_parquet"]

ParquetColumns = Mapping[str, "np.ndarray | Sequence[str]"]

_MAGIC = b"PAR1"
_CREATED_BY = f"hindsight version {__version__}"

# parquet.thrift enums
_BOOLEAN, _INT32, _INT64, _FLOAT, _DOUBLE, _BYTE_ARRAY = 0, 1, 2, 4, 5, 6
_REQUIRED = 0  # FieldRepetitionType
_UTF8, _INT_32, _INT_64 = 0, 17, 18  # ConvertedType, for readers that predate LogicalType
_PLAIN, _RLE = 0, 3  # Encoding
_DATA_PAGE = 0  # PageType
# GZIP: the one codec of the spec the standard library has. A 30 s 60 fps track of a
# 52-column map came out at 49 KB (262 KB uncompressed; pyarrow's zstd: 70 KB), its
# 50,000 events at 538 KB (1.7 MB; zstd: 713 KB).
_GZIP = 2  # CompressionCodec
# Level 1: 2-4 % larger than level 6 on that track, at half the time or less.
_GZIP_LEVEL = 1
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip member (RFC 1952), as the spec's GZIP says

# numpy dtype -> (physical type, converted type, int bit width or 0), little-endian values
_NUMERIC: dict[np.dtype, tuple[int, int | None, int]] = {
    np.dtype(np.int32): (_INT32, _INT_32, 32),
    np.dtype(np.int64): (_INT64, _INT_64, 64),
    np.dtype(np.float32): (_FLOAT, None, 0),
    np.dtype(np.float64): (_DOUBLE, None, 0),
}

# Thrift compact protocol type ids
_CT_TRUE, _CT_FALSE, _CT_I8, _CT_I32, _CT_I64 = 1, 2, 3, 5, 6
_CT_BINARY, _CT_LIST, _CT_STRUCT = 8, 9, 12


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _zigzag(n: int) -> bytes:
    # Compact protocol integers are zigzag varints; 64 bits covers i16, i32 and i64.
    return _varint((n << 1) ^ (n >> 63))


def _binary(value: bytes) -> bytes:
    return _varint(len(value)) + value


class _Struct:
    """One Thrift struct in the compact protocol; fields must be added in rising id order."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._last_id = 0

    def _field(self, field_id: int, ctype: int) -> None:
        delta = field_id - self._last_id
        if 0 < delta <= 15:  # the short form: the id as a delta in the header's high nibble
            self._out.append((delta << 4) | ctype)
        else:
            self._out.append(ctype)
            self._out += _zigzag(field_id)
        self._last_id = field_id

    def i32(self, field_id: int, value: int) -> _Struct:
        self._field(field_id, _CT_I32)
        self._out += _zigzag(value)
        return self

    def i64(self, field_id: int, value: int) -> _Struct:
        self._field(field_id, _CT_I64)
        self._out += _zigzag(value)
        return self

    def i8(self, field_id: int, value: int) -> _Struct:
        self._field(field_id, _CT_I8)
        self._out += struct.pack("<b", value)
        return self

    def boolean(self, field_id: int, value: bool) -> _Struct:
        # A bool field's value is its header's type: no further byte.
        self._field(field_id, _CT_TRUE if value else _CT_FALSE)
        return self

    def binary(self, field_id: int, value: bytes) -> _Struct:
        self._field(field_id, _CT_BINARY)
        self._out += _binary(value)
        return self

    def struct(self, field_id: int, value: _Struct) -> _Struct:
        self._field(field_id, _CT_STRUCT)
        self._out += value.encode()
        return self

    def list(self, field_id: int, ctype: int, items: Sequence[bytes]) -> _Struct:
        """A list of already encoded ``items`` of compact type ``ctype``."""
        self._field(field_id, _CT_LIST)
        if len(items) < 15:
            self._out.append((len(items) << 4) | ctype)
        else:
            self._out.append(0xF0 | ctype)
            self._out += _varint(len(items))
        for item in items:
            self._out += item
        return self

    def encode(self) -> bytes:
        return bytes(self._out) + b"\x00"  # the stop field


def _plain_strings(values: Sequence[str]) -> bytes:
    """PLAIN BYTE_ARRAY: each value as a 4-byte little-endian length and its UTF-8 bytes.

    PLAIN rather than a dictionary page: the columns are few values repeated, which gzip
    folds to almost nothing anyway, and PLAIN needs no RLE/bit-packed index stream.
    """
    encoded = {}
    for value in set(values):  # few distinct values: each is encoded once
        if not isinstance(value, str):
            raise TypeError(f"a string column holds {type(value).__name__}")
        raw = value.encode("utf-8")
        encoded[value] = struct.pack("<i", len(raw)) + raw
    return b"".join(map(encoded.__getitem__, values))


def _column(name: str, values: np.ndarray | Sequence[str]) -> tuple[_Struct, int, bytes]:
    """The column's SchemaElement, physical type and PLAIN-encoded values."""
    schema = _Struct()
    if isinstance(values, np.ndarray) and values.dtype in _NUMERIC:
        ptype, converted, bits = _NUMERIC[values.dtype]
        data = values.astype(values.dtype.newbyteorder("<"), copy=False).tobytes()
    elif isinstance(values, np.ndarray) and values.dtype == np.bool_:
        ptype, converted, bits = _BOOLEAN, None, 0
        # PLAIN booleans are bit-packed, first value in the lowest bit.
        data = np.packbits(values, bitorder="little").tobytes()
    elif isinstance(values, np.ndarray) and values.dtype.kind not in "OU":
        raise TypeError(f"column {name!r}: unsupported dtype {values.dtype}")
    else:
        ptype, converted, bits = _BYTE_ARRAY, _UTF8, 0
        data = _plain_strings(values.tolist() if isinstance(values, np.ndarray) else values)
    schema.i32(1, ptype).i32(3, _REQUIRED).binary(4, name.encode("utf-8"))
    if converted is not None:
        schema.i32(6, converted)
    if ptype == _BYTE_ARRAY:
        schema.struct(10, _Struct().struct(1, _Struct()))  # LogicalType.STRING
    elif bits:
        # LogicalType.INTEGER: IntType(bitWidth, isSigned)
        schema.struct(10, _Struct().struct(10, _Struct().i8(1, bits).boolean(2, True)))
    return schema, ptype, data


def _page(rows: int, data: bytes) -> tuple[bytes, int]:
    """A v1 data page (header and gzip body) of ``rows`` values; also its uncompressed size.

    Required flat columns have no levels, so the body is the values alone; the level
    encodings are still required fields of DataPageHeader (RLE, as writers put).
    """
    squeeze = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS)
    body = squeeze.compress(data) + squeeze.flush()
    header = (
        _Struct()
        .i32(1, _DATA_PAGE)
        .i32(2, len(data))
        .i32(3, len(body))
        .struct(5, _Struct().i32(1, rows).i32(2, _PLAIN).i32(3, _RLE).i32(4, _RLE))
        .encode()
    )
    return header + body, len(header) + len(data)


def write_parquet(columns: ParquetColumns) -> bytes:
    """The Parquet file of ``columns`` (name -> values, in file order), all of one length.

    Numeric and bool columns are numpy arrays (int32, int64, float32, float64, bool);
    string columns are sequences of ``str`` (or numpy arrays of them).
    """
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    rows = lengths.pop() if lengths else 0
    out = bytearray(_MAGIC)
    root = _Struct().binary(4, b"schema").i32(5, len(columns))
    schema = [root.encode()]
    chunks = []
    data_bytes = 0
    for name, values in columns.items():
        element, ptype, data = _column(name, values)
        schema.append(element.encode())
        page, raw_size = _page(rows, data)
        offset = len(out)
        out += page
        data_bytes += raw_size
        meta = (
            _Struct()
            .i32(1, ptype)
            .list(2, _CT_I32, [_zigzag(_PLAIN), _zigzag(_RLE)])
            .list(3, _CT_BINARY, [_binary(name.encode("utf-8"))])
            .i32(4, _GZIP)
            .i64(5, rows)
            .i64(6, raw_size)
            .i64(7, len(page))
            .i64(9, offset)
        )
        chunks.append(_Struct().i64(2, offset).struct(3, meta).encode())
    row_group = (
        _Struct()
        .list(1, _CT_STRUCT, chunks)
        .i64(2, data_bytes)
        .i64(3, rows)
        .i64(5, len(_MAGIC))
        .i64(6, len(out) - len(_MAGIC))
        .encode()
    )
    footer = (
        _Struct()
        .i32(1, 1)  # version
        .list(2, _CT_STRUCT, schema)
        .i64(3, rows)
        .list(4, _CT_STRUCT, [row_group])
        .binary(6, _CREATED_BY.encode("utf-8"))
        .encode()
    )
    out += footer + struct.pack("<i", len(footer)) + _MAGIC
    return bytes(out)
