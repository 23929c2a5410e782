"""Opening WiringLab files from Python, after checking their seal (docs/results-format.md, "The seal").

Every file WiringLab writes (result files, collected sweeps, checkpoints) starts with a 512-byte HDF5 user block:

    WiringLab sealed HDF5 v1
    sha256 <hex digest of every byte after the user block>
    length <number of bytes after the user block>

followed by zero bytes. `check_seal` verifies it on the file's bytes before any HDF5 library parses them, and
`open_sealed` opens the checked bytes themselves with h5py, so nothing can change between the check and the read.
Files without a seal (written by h5py, or by a WiringLab older than the seal) are opened as they are.
"""

import hashlib
import io
import os

USER_BLOCK = 512
MAGIC = b"WiringLab sealed HDF5 v1\n"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class DamagedFile(Exception):
    """A sealed file whose bytes do not match its seal; the message is one line naming the file."""


def check_seal(path, data=None):
    """The SHA-256 digest (hex) of a sealed file whose bytes all match its seal, or None for an unsealed file.

    Raises DamagedFile for a file that starts like a sealed one and does not match it."""
    if data is None:
        with open(path, "rb") as f:
            data = f.read()
    head = data[:len(MAGIC)]
    claims = (head and MAGIC.startswith(head)) or data[USER_BLOCK:USER_BLOCK + 8] == HDF5_SIGNATURE
    if not claims:
        return None

    def damaged(why):
        return DamagedFile(f"{path}: damaged, its bytes do not match its seal ({why}); "
                           f"delete it and re-run the experiment")

    if len(data) < USER_BLOCK or not data.startswith(MAGIC):
        raise damaged("no valid seal in its first 512 bytes")
    block = data[len(MAGIC):USER_BLOCK]
    text, _, padding = block.partition(b"\0")
    lines = text.split(b"\n")
    if padding.strip(b"\0") or len(lines) != 3 or lines[2] or not lines[0].startswith(b"sha256 ") \
            or not lines[1].startswith(b"length "):
        raise damaged("the seal is unreadable")
    digest, length = lines[0][7:].decode("ascii", "replace"), lines[1][7:]
    if not length.isdigit() or int(length) != len(data) - USER_BLOCK:
        raise damaged(f"{len(data) - USER_BLOCK} bytes after the seal, the seal says {length.decode('ascii', 'replace')}")
    actual = hashlib.sha256(memoryview(data)[USER_BLOCK:]).hexdigest()
    if actual != digest:
        raise damaged("its SHA-256 digest does not match the seal: bytes changed")
    return actual


def open_sealed(path):
    """An open, read-only h5py.File of `path`: a sealed file from its checked bytes, an unsealed one from disk.

    Raises DamagedFile (seal), FileNotFoundError, IsADirectoryError or OSError (h5py cannot read it)."""
    import h5py

    if os.path.isdir(path):
        raise IsADirectoryError(path)
    with open(path, "rb") as f:
        data = f.read()
    if check_seal(path, data) is None:
        return h5py.File(path, "r")
    return h5py.File(io.BytesIO(data), "r")


def reseal(path):
    """Writes a new seal for a sealed file that was changed on purpose (e.g. edited with h5py in 'a' mode, which
    keeps the user block but changes the bytes after it). The old seal is not checked: use it only on a file
    whose changes you made yourself."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(MAGIC) or data[USER_BLOCK:USER_BLOCK + 8] != HDF5_SIGNATURE:
        raise DamagedFile(f"{path}: not a sealed WiringLab file (no seal to renew)")
    body = memoryview(data)[USER_BLOCK:]
    block = MAGIC + f"sha256 {hashlib.sha256(body).hexdigest()}\nlength {len(body)}\n".encode("ascii")
    with open(path, "r+b") as f:
        f.write(block + b"\0" * (USER_BLOCK - len(block)))
