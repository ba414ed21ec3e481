"""Damage done to valid files, and hostile names, drawn with a seeded ``random.Random``.

Each function takes the valid bytes and the generator's ``rng`` and returns the damaged
bytes with a short description of what was done, and whether the damage is certain to
make the file unreadable (``True``: the night must reject it) or may leave a file that
still parses (``False``: a flipped byte inside a text, a removed part no reader needs).
"""

from __future__ import annotations

import io
import random
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

# Parts of each zip container that the readers must read to find a sheet's cells: damage
# to one of them always makes the file unreadable; damage elsewhere may not.
READ_PARTS = {
    ".xlsx": ("xl/workbook.xml", "xl/worksheets/sheet1.xml"),
    ".ods": ("content.xml",),
}

_CENTRAL_ENTRY = b"PK\x01\x02"
_END_OF_DIRECTORY = b"PK\x05\x06"
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


@dataclass(frozen=True)
class Damage:
    """Damaged bytes, what was done, and whether no reader can make a sheet of them."""

    data: bytes
    what: str
    certain: bool


# ------------------------------------------------------------------ any file


def flip_bytes(data: bytes, rng: random.Random) -> Damage:
    """1 to 8 bytes anywhere XOR-ed with a random non-zero mask."""
    damaged = bytearray(data)
    count = rng.randint(1, 8)
    for _ in range(count):
        damaged[rng.randrange(len(damaged))] ^= rng.randint(1, 255)
    return Damage(bytes(damaged), f"{count} random byte flips", certain=False)


def truncate(data: bytes, rng: random.Random, extension: str) -> Damage:
    """Cut short anywhere: a zip container loses its central directory, so it is certain."""
    cut = rng.randrange(1, len(data) - 1)
    zipped = extension in READ_PARTS
    return Damage(data[:cut], f"truncated to {cut} of {len(data)} bytes", certain=zipped)


# ------------------------------------------------------------------ zip containers


def _entries(data: bytes) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.infolist()


def _data_start(data: bytes, info: zipfile.ZipInfo) -> int:
    fields = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    return info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]


def _central_entry_offsets(data: bytes) -> dict[str, int]:
    """Where each part's central directory entry starts, by part name."""
    end = data.rfind(_END_OF_DIRECTORY)
    count, _, start = struct.unpack_from("<HLL", data, end + 10)
    offsets = {}
    at = start
    for _ in range(count):
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, at + 28)
        name = data[at + 46 : at + 46 + name_length].decode("utf-8", "replace")
        offsets[name] = at
        at += 46 + name_length + extra_length + comment_length
    return offsets


def _pick_part(data: bytes, extension: str, rng: random.Random) -> tuple[zipfile.ZipInfo, bool]:
    """A random part with data, and whether the readers need it."""
    entries = [info for info in _entries(data) if info.compress_size > 0]
    info = rng.choice(entries)
    return info, info.filename in READ_PARTS[extension]


def flip_in_part(data: bytes, rng: random.Random, extension: str) -> Damage:
    """Bytes flipped inside one part's compressed stream (a bad disk sector); the zip
    directory stays intact, so only inflating that part finds the damage."""
    info, needed = _pick_part(data, extension, rng)
    start = _data_start(data, info)
    damaged = bytearray(data)
    size = info.compress_size
    low, high = start + size // 4, start + max(size // 4 + 1, 3 * size // 4)
    for _ in range(rng.randint(1, 4)):
        damaged[rng.randrange(low, high)] ^= rng.randint(1, 255)
    damaged = bytes(damaged)
    certain = needed and not _still_inflates(damaged, info, start)
    return Damage(damaged, f"bytes flipped inside {info.filename}", certain)


def _still_inflates(data: bytes, info: zipfile.ZipInfo, start: int) -> bool:
    """Whether the part's stream still inflates to a whole part: then the flip may have
    changed a letter of a name or a tag and left a file that reads (its CRC-32 no longer
    matches, which not every reader checks)."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return True
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(data[start : start + info.compress_size])
    except zlib.error:
        return False
    return inflater.eof and len(inflated) == info.file_size


def remove_part(data: bytes, rng: random.Random, extension: str) -> Damage:
    """One part left out of the package (its directory entry and its bytes)."""
    info, needed = _pick_part(data, extension, rng)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for item in source.infolist():
            if item.filename != info.filename:
                target.writestr(item, source.read(item.filename))
    certain = info.filename in READ_PARTS[extension][:2] and needed
    return Damage(out.getvalue(), f"part {info.filename} removed", certain)


def misdirect_entry(data: bytes, rng: random.Random, extension: str) -> Damage:
    """A central directory entry whose local header offset points where no header is."""
    info, needed = _pick_part(data, extension, rng)
    entry = _central_entry_offsets(data)[info.filename]
    headers = {item.header_offset for item in _entries(data)}
    while True:
        wrong = rng.randrange(0, len(data) - 30)
        if wrong not in headers and data[wrong : wrong + 4] != b"PK\x03\x04":
            break
    damaged = bytearray(data)
    struct.pack_into("<L", damaged, entry + 42, wrong)
    return Damage(bytes(damaged), f"directory entry of {info.filename} points to {wrong}", needed)


def lie_about_size(data: bytes, rng: random.Random, extension: str) -> Damage:
    """A part whose declared sizes lie (in its directory entry and its local header):
    expanding to 4 GB (past any container limit: certain to be refused), to a thousand
    times what it does, to half what it does, or compressed to half what it is."""
    info, needed = _pick_part(data, extension, rng)
    entry = _central_entry_offsets(data)[info.filename]
    how = rng.choice(
        ("uncompressed 4 GB", "uncompressed x1000", "uncompressed / 2", "compressed / 2")
    )
    certain = needed
    if how == "uncompressed 4 GB":
        field, value, certain = 24, 0xFFFFFFF0, True
    elif how == "uncompressed x1000":
        # Declaring more than a part holds is harmless to a reader that stops at the end
        # of the stream: the file may still be read.
        field, value, certain = 24, min(info.file_size * 1000 + 1, 0xFFFFFFF0), False
    elif how == "uncompressed / 2":
        field, value = 24, info.file_size // 2
    else:
        field, value = 20, info.compress_size // 2
    damaged = bytearray(data)
    struct.pack_into("<L", damaged, entry + field, value)
    struct.pack_into("<L", damaged, info.header_offset + field - 2, value)
    return Damage(bytes(damaged), f"{info.filename} declares {how}", certain)


ZIP_DAMAGE = (flip_in_part, remove_part, misdirect_entry, lie_about_size)


def damage(data: bytes, extension: str, rng: random.Random) -> Damage:
    """One random damage fitting the container: zip surgery for xlsx and ods, byte flips
    and truncations for every format."""
    ways = [lambda: flip_bytes(data, rng), lambda: truncate(data, rng, extension)]
    if extension in READ_PARTS:
        ways += [lambda way=way: way(data, rng, extension) for way in ZIP_DAMAGE]
    return rng.choice(ways)()


# ------------------------------------------------------------------ names

NAME_MAX = 255  # bytes, on Linux file systems
_FOLDERS = (
    b"",
    b"",
    b"nam-2024/",
    "Phường xã/".encode(),
    "báo cáo/đợt 1/".encode(),
    b"th\xf0 m\xfcc/",  # a folder name in Latin-1: not UTF-8
)
_WORDS = ("Báo cáo", "chỉ tiêu", "năm", "kết quả", "bản cuối", "gửi lại", "(2)", "đã sửa")


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in folded if c.isascii()).lower().replace(" ", "-")


def hostile_name(rng: random.Random, title: str, extension: str) -> bytes:
    """A landing file name for ``title`` (a ward's name and year), as clerks and their
    tools name files: plain, with spaces and tones (NFC or NFD), invalid UTF-8 bytes,
    very long, shell- and SQL-looking characters, an upper-case extension; sometimes in
    a sub-folder (one of which is not UTF-8 either)."""
    roll = rng.random()
    if roll < 0.2:
        stem = _ascii_slug(title).encode()
    elif roll < 0.35:
        stem = f"{rng.choice(_WORDS)} {title}".encode()
    elif roll < 0.45:
        stem = unicodedata.normalize("NFD", f"Báo cáo {title}").encode()
    elif roll < 0.6:
        bad = rng.choice((b"\xff\xfe", b"\x80", b"\xe1\xbb", b"\xc3(", b"\xed\xa0\x80"))
        stem = b"bad" + bad + b"-" + _ascii_slug(title).encode()
    elif roll < 0.7:
        stem = title.encode("cp1258", errors="replace")  # an old Windows tool's bytes
    elif roll < 0.8:
        words = f"{title} " + " ".join(rng.choice(_WORDS) for _ in range(60))
        stem = words.encode()[: NAME_MAX - 16].decode("utf-8", "ignore").strip().encode()
    elif roll < 0.9:
        stem = rng.choice(
            (
                f"-{_ascii_slug(title)} --full",
                f"{title}; rm -rf ~",
                f"{title} 100% #1 & 'x'",
                f"{title}\tv2",
                f"{title}\nsửa",
            )
        ).encode()
    else:
        stem = f"  {title}  ".encode()
    if rng.random() < 0.1:
        extension = extension.upper()
    return rng.choice(_FOLDERS) + stem + extension.encode()


def hidden_name(rng: random.Random, title: str, extension: str) -> bytes:
    """A name the landing folder skips by design: hidden file, hidden folder, lock file."""
    slug = _ascii_slug(title).encode()
    return rng.choice(
        (
            b"." + slug + extension.encode(),
            b".tmp/" + slug + extension.encode(),
            b"~$" + slug + extension.encode(),
        )
    )
