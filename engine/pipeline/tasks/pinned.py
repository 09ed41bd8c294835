"""The pinned held-out sets: one copy of tasks/heldout.py's output kept in the repository
(engine/pipeline/heldout-sets.tar.xz), and fingerprints that tie every replies file to the sets it answered.

The sets are generated from Debian packages (the PostgreSQL manual, the Perl documentation) whose point
releases change their text: sets generated in another month differ in some samples, and replies made on
one copy scored against another are silently wrong. So evaluation reads the pinned copy, evaluate.mjs and
stages/evaluate_torch.py write each set's fingerprint into their replies, and results.py refuses replies
whose fingerprints differ from the sets it scores against.
"""
import hashlib
import os
import tarfile

PINNED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "heldout-sets.tar.xz")
TEXT = "heldout_text"                  # the perplexity text, fingerprinted as a set of its own


def fingerprint(path: str) -> str:
    """The first 16 hex digits of the file's sha256 (evaluate.mjs computes the same)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def fingerprints(heldout: str) -> dict:
    """{set name: fingerprint} of every set in `heldout` (name.jsonl) and of the perplexity text."""
    out = {f[:-6]: fingerprint(os.path.join(heldout, f)) for f in sorted(os.listdir(heldout)) if f.endswith(".jsonl")}
    text = os.path.join(heldout, TEXT + ".txt")
    if os.path.exists(text):
        out[TEXT] = fingerprint(text)
    return out


def unpack(out: str, archive: str = PINNED) -> dict:
    """Writes the pinned sets into `out`; returns their fingerprints."""
    os.makedirs(out, exist_ok=True)
    with tarfile.open(archive, "r:xz") as tar:
        for m in tar.getmembers():
            name = os.path.basename(m.name)
            if not m.isfile() or not (name.endswith(".jsonl") or name == TEXT + ".txt"):
                continue                                  # plain set files only: no links, no paths outside `out`
            with tar.extractfile(m) as src, open(os.path.join(out, name), "wb") as dst:
                dst.write(src.read())
    return fingerprints(out)


def pin(heldout: str, archive: str = PINNED) -> None:
    """Makes `heldout`'s sets the pinned copy."""
    names = sorted(f for f in os.listdir(heldout) if f.endswith(".jsonl") or f == TEXT + ".txt")
    tmp = archive + ".tmp"
    with tarfile.open(tmp, "w:xz") as tar:
        for name in names:
            info = tar.gettarinfo(os.path.join(heldout, name), arcname=os.path.join("heldout", name))
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with open(os.path.join(heldout, name), "rb") as f:
                tar.addfile(info, f)
    os.replace(tmp, archive)


def mismatches(stamped: dict, current: dict, names) -> list:
    """Set names among `names` whose stamped fingerprint is missing or differs from the current one."""
    return [n for n in sorted(names) if stamped.get(n) is None or stamped.get(n) != current.get(n)]
