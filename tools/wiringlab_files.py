"""Reading WiringLab files from Python: the one reader the tools share (plot_results.py, reproduce_report.py,
compare_results.py). It checks each file's seal (docs/results-format.md, section 0), its kind and its
format_version, and parses the labels the tools need.

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
import json
import os
import re

FORMAT = "wiringlab-results"            # a run's result file (`wiringlab run`)
SWEEP_FORMAT = "wiringlab-sweep"        # a collected sweep (`wiringlab collect`)
FORMAT_VERSIONS = (1, 2, 3)             # the result-file layouts these tools read (docs/results-format.md §8)
MANIFEST_KEYS_SINCE = 3                 # the first format whose `config` attribute holds the manifest's key paths


class UsageError(Exception):
    """A problem the user can fix; the tools print it as one line and exit with status 2."""


def text(value):
    """An HDF5 string (format 1's fixed-length strings come back as bytes) as str."""
    if hasattr(value, "tolist") and not isinstance(value, (bytes, str)):
        value = value.tolist()
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def parse_edge(label):
    """An edge label `e4:2->3` -> (source state, node); None for anything else."""
    match = re.match(r"e\d+:(\d+)->(\d+)", label)
    return (int(match.group(1)), int(match.group(2))) if match else None

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


def open_checked(path, formats=(FORMAT, SWEEP_FORMAT)):
    """The open h5py file and its `format` attribute, after the checks every input gets: it exists, is a file, is
    HDF5, its seal holds, and its `format` is one of `formats`. Raises UsageError (one line naming the file)."""
    import h5py

    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file")
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a folder, not a result file (collect a sweep with `wiringlab collect {path}`)")
    if not h5py.is_hdf5(path):
        raise UsageError(f"{path}: not an HDF5 file, so not a WiringLab result "
                         f"(results are written by `wiringlab run` as <run id>.h5)")
    try:
        f = open_sealed(path)
    except DamagedFile as error:
        raise UsageError(str(error))
    except OSError as error:
        raise UsageError(f"{path}: not a readable HDF5 file ({error}); delete it and run the experiment again")
    found = text(f.attrs["format"]) if "format" in f.attrs else None
    if found not in formats:
        f.close()
        what = "has no root attribute 'format'" if found is None else f"has format '{found}'"
        raise UsageError(f"{path}: not a WiringLab result file ({what}, expected '{formats[0]}')")
    return f, found


def check_format_version(path, f, tool):
    """Raises UsageError unless the result file's format_version is one these tools read."""
    version = int(f.attrs.get("format_version", -1))
    if version not in FORMAT_VERSIONS:
        raise UsageError(f"{path}: format_version {version}, this tool reads {FORMAT_VERSIONS} "
                         f"(update tools/wiringlab_files.py and {tool} together with the writer)")


def run_config(f):
    """The run's configuration from an open result file's `config` attribute, in the manifest's key paths
    (`network.norm.kind`, `edges[].delete`, `phases[].epochs`, `phases[].alpha_optimizer.lr`): format 3 stores them,
    an older file's Swift names are converted by `normalised_config`."""
    config = json.loads(text(f.attrs["config"]))
    if int(f.attrs.get("format_version", 1)) >= MANIFEST_KEYS_SINCE:
        return config
    return normalised_config(config)


def phase_length(phase):
    """A configuration's phase length as text: `3 epochs` or `40 batches`."""
    unit = "batches" if "batches" in phase else "epochs"
    return f"{phase.get(unit, 1)} {unit}"


def normalised_config(old):
    """A format-1/2 `config` (the Swift encoding: `opNorm`, `trainSize`, `network.constraints`, `phases[].length`,
    `phases[].search`) in the manifest's key paths, as format 3 stores it. Keys the old encoding left out at their
    default stay out (read them with a default, as for any optional key)."""
    new = {_snake(k): _snaked(v) for k, v in old.items() if k not in ("data", "network", "phases")}
    data = _snaked(old.get("data", {}))
    data.pop("npz_shape", None)                       # read from the .npz file, no manifest key
    new["data"] = data
    network = dict(old.get("network", {}))
    constraints = network.pop("constraints", [])
    for derived in ("inputChannels", "numClasses"):   # follow from the data set, no manifest keys
        network.pop(derived, None)
    network = _snaked(network)
    if "op_norm" in network:
        network["norm"] = network.pop("op_norm")
    new["network"] = network
    new["edges"] = [_edge_entry(c) for c in constraints]
    new["phases"] = [_phase_entry(p) for p in old.get("phases", [])]
    return new


def _snake(key):
    """`trainSize` -> `train_size`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), key)


def _snaked(value):
    """`value` with every mapping key in snake_case."""
    if isinstance(value, dict):
        return {_snake(k): _snaked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snaked(v) for v in value]
    return value


def _edge_entry(constraint):
    """An old `{selector: {edge: {_0: 3}}, restriction: {fix: {_0: op}}}` as a manifest's `{edge: 3, fix: op}`."""
    entry = {}
    selector = constraint.get("selector", {})
    named = {"inputEdges": "input", "intermediateEdges": "intermediate", "allEdges": "all"}
    for key, value in selector.items():
        if key == "edge":
            entry["edge"] = value.get("_0")
        elif key in named:
            entry["edges"] = named[key]
    for key, value in constraint.get("restriction", {}).items():
        entry[key] = True if key == "delete" else value.get("_0")
    return entry


def _phase_entry(phase):
    """An old phase (`length: {unit, count}`, a search's keys in `search`) as a manifest's phase."""
    entry = {"kind": phase["kind"], "name": phase["name"]}
    length = phase.get("length", {})
    if "unit" in length:
        entry[length["unit"]] = length.get("count")
    for key, value in phase.items():
        if key in ("kind", "name", "length"):
            continue
        if key == "search":
            for search_key, search_value in value.items():
                if search_key == "alphaInit":
                    kind, parameters = next(iter(search_value.items()))
                    entry["alpha_init"] = ({"kind": kind, "value": parameters.get("_0")} if kind == "constant"
                                           else {"kind": kind, **parameters})
                else:
                    entry[_snake(search_key)] = _snaked(search_value)
        else:
            entry[_snake(key)] = _snaked(value)
    return entry
