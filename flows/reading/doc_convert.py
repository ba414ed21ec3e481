"""An old Word document (.doc) converted to .docx by LibreOffice, so the .docx reader reads it.

The binary Word format is read by nothing in Python worth trusting, so LibreOffice converts
it (``soffice --headless --convert-to docx``). Each conversion runs in a fresh temporary
folder with its own LibreOffice profile (two conversions at once must not share one: the
second would hand its file to the first's process, or wait on its lock), in a session of
its own, so that on timeout the whole process group is killed. The file is checked to be
a compound file holding a ``WordDocument`` stream first, and LibreOffice's output is held
to the size limit before it is read. The .docx then goes through the .docx reader and all
its limits (:func:`flows.reading.docx_reader.read_docx`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from flows.reading.errors import UnreadableFile
from flows.reading.extents import OLE_MAGIC
from flows.reading.safety import DEFAULT_LIMITS, ENCRYPTED_PACKAGE, Limits, word_too_large

# A compound file's directory names its streams in UTF-16.
WORD_STREAM = "WordDocument".encode("utf-16-le")
DEFAULT_TIMEOUT_S = 120.0
_PROGRAMS = ("soffice", "libreoffice")


def libreoffice_available() -> bool:
    """Whether LibreOffice is on PATH, so that .doc reports can be read."""
    return _program() is not None


def _program() -> str | None:
    for name in _PROGRAMS:
        found = shutil.which(name)
        if found:
            return found
    return None


def is_word_97(data: bytes) -> bool:
    """Whether the bytes are a compound file holding a Word 97-2003 document stream."""
    return data.startswith(OLE_MAGIC) and WORD_STREAM in data


def not_a_doc() -> UnreadableFile:
    """The reason given for a .doc whose bytes are not an old Word document."""
    return UnreadableFile(
        "Tệp .doc bị hỏng hoặc không phải văn bản Word; hãy mở bằng Word và lưu lại dạng .docx "
        "rồi gửi lại.",
        "The .doc file is damaged or not a Word document; open it in Word, save it as .docx "
        "and resend.",
    )


def _no_libreoffice() -> UnreadableFile:
    return UnreadableFile(
        "Kho dữ liệu chưa đọc được tệp Word cũ (.doc); hãy mở bằng Word và lưu lại dạng .docx "
        "rồi gửi lại.",
        "The warehouse cannot read old Word files (.doc) yet; open the report in Word, save "
        "it as .docx and resend.",
    )


def _not_converted(detail_vi: str, detail_en: str) -> UnreadableFile:
    return UnreadableFile(
        f"Không chuyển đổi được tệp Word cũ (.doc) ({detail_vi}); tệp có thể bị hỏng hoặc đặt "
        "mật khẩu. Hãy mở bằng Word, gỡ mật khẩu nếu có, lưu lại dạng .docx rồi gửi lại.",
        f"The old Word file (.doc) could not be converted ({detail_en}); it may be damaged or "
        "password-protected. Open it in Word, remove any password, save it as .docx and resend.",
    )


def convert_doc(
    data: bytes, timeout_s: float = DEFAULT_TIMEOUT_S, limits: Limits = DEFAULT_LIMITS
) -> bytes:
    """The .docx bytes LibreOffice makes of a .doc file; :class:`UnreadableFile` if it cannot."""
    if len(data) > limits.max_file_bytes:
        megabytes = len(data) // (1 << 20)
        raise word_too_large(f"quá lớn ({megabytes} MB)", f"it is too large ({megabytes} MB)")
    if not is_word_97(data) or ENCRYPTED_PACKAGE in data:
        raise not_a_doc()
    program = _program()
    if program is None:
        raise _no_libreoffice()
    with tempfile.TemporaryDirectory(prefix="chitieu-doc-") as folder:
        work = Path(folder)
        source = work / "report.doc"
        source.write_bytes(data)
        output = work / "out"
        output.mkdir()
        _run(program, source, output, work, timeout_s)
        converted = output / "report.docx"
        if not converted.is_file():
            raise _not_converted("LibreOffice không tạo ra tệp", "LibreOffice made no file")
        size = converted.stat().st_size
        if size > limits.max_file_bytes:
            megabytes = size // (1 << 20)
            raise word_too_large(
                f"khi chuyển sang .docx lớn tới {megabytes} MB",
                f"converted to .docx it takes {megabytes} MB",
            )
        return converted.read_bytes()


def _run(program: str, source: Path, output: Path, work: Path, timeout_s: float) -> None:
    """LibreOffice's conversion of ``source`` into ``output``, killed with its group on timeout."""
    profile = work / "profile"
    command = [
        program,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--nodefault",
        "--convert-to",
        "docx:MS Word 2007 XML",
        "--outdir",
        str(output),
        str(source),
    ]
    # HOME and TMPDIR inside the folder too: nothing of one conversion outlives it.
    environment = {**os.environ, "HOME": str(work), "TMPDIR": str(work)}
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=environment,
        cwd=work,
    )
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired as error:
        raise _not_converted(
            f"quá {timeout_s:.0f} giây", f"it took over {timeout_s:.0f} seconds"
        ) from error
    finally:
        if process.poll() is None:
            _kill_group(process)
        else:
            # LibreOffice may leave a helper (oosplash's child) in its session: end it too.
            _kill_group(process, missing_ok=True)


def _kill_group(process: subprocess.Popen, missing_ok: bool = False) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        if not missing_ok:
            raise
    except PermissionError:
        pass
    process.wait()
