"""Download and unpack packages from npm (`npm pack`) and Debian (`apt-get download`).

Downloads are cached under <cache>/npm and <cache>/apt; unpacked trees under
<cache>/unpacked/<package>. Nothing is fetched when the cached archive exists.
"""
import glob
import os
import subprocess
import tarfile


class FetchError(RuntimeError):
    """A package could not be downloaded or unpacked; the message says which and why."""


def _npm_archive_name(name):
    # npm pack names "@scope/pkg" as "scope-pkg-<version>.tgz"
    return name.lstrip("@").replace("/", "-")


def fetch_npm(name, cache):
    d = os.path.join(cache, "npm")
    os.makedirs(d, exist_ok=True)
    stem = _npm_archive_name(name)
    found = sorted(glob.glob(os.path.join(d, stem + "-[0-9]*.tgz")))
    if not found:
        r = subprocess.run(["npm", "pack", name], cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            raise FetchError(f"npm pack {name} failed: {r.stderr.strip()[-300:]}")
        found = sorted(glob.glob(os.path.join(d, stem + "-[0-9]*.tgz")))
        if not found:
            raise FetchError(f"npm pack {name} wrote no {stem}-*.tgz")
    archive = found[-1]
    out = os.path.join(cache, "unpacked", stem)
    if not os.path.isdir(out):
        os.makedirs(out + ".tmp", exist_ok=True)
        with tarfile.open(archive) as t:
            t.extractall(out + ".tmp")
        os.rename(out + ".tmp", out)
    return out, os.path.basename(archive)


def fetch_apt(name, cache):
    d = os.path.join(cache, "apt")
    os.makedirs(d, exist_ok=True)
    found = sorted(glob.glob(os.path.join(d, name + "_*.deb")))
    if not found:
        r = subprocess.run(["apt-get", "download", name], cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            raise FetchError(f"apt-get download {name} failed (run apt-get update?): {r.stderr.strip()[-300:]}")
        found = sorted(glob.glob(os.path.join(d, name + "_*.deb")))
        if not found:
            raise FetchError(f"apt-get download {name} wrote no {name}_*.deb")
    archive = found[-1]
    out = os.path.join(cache, "unpacked", name)
    if not os.path.isdir(out):
        r = subprocess.run(["dpkg", "-x", archive, out + ".tmp"], capture_output=True, text=True)
        if r.returncode != 0:
            raise FetchError(f"dpkg -x {archive} failed: {r.stderr.strip()[-300:]}")
        os.rename(out + ".tmp", out)
    return out, os.path.basename(archive)


def fetch(registry, name, cache):
    """Returns (unpacked_dir, archive_file_name)."""
    if registry == "npm":
        return fetch_npm(name, cache)
    if registry == "apt":
        return fetch_apt(name, cache)
    raise FetchError(f"unknown registry {registry!r} for {name}")
