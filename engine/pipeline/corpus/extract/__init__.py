"""One module per source format. Each extractor is `extract(roots, sink)`:
`roots` are the unpacked package directories of one source; it calls
`sink.doc(text)` per document and `sink.record(kind, obj)` for structured data
(facts, definitions, FAQ pairs) that the task generators use."""
