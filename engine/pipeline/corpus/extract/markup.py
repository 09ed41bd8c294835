"""Documentation markup to plain text: reStructuredText sources (.rst.txt),
HTML pages, and man pages (roff).

Each is a light-weight stripper, not a full parser: it keeps headings,
paragraphs, lists and literal blocks (code), drops navigation, directives'
options, roff requests and inline markup characters.
"""
import glob
import gzip
import html
import os
import re

from ..text import clean

# ---------------------------------------------------------------- rst
_ROLE = re.compile(r":[a-zA-Z:+-]+:`(?:[^`<]*?<([^`>]+)>|~?!?([^`]+))`")
_LINK = re.compile(r"`([^`<]+?)\s*<[^`>]+>`_+")
_INLINE = re.compile(r"``([^`]+)``|`([^`]+)`_*|\*\*([^*]+)\*\*")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+.:_])\1{2,}\s*$")
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([a-zA-Z0-9:-]+)::\s*(.*)$")
_KEEP_DIRECTIVE_ARG = {"function", "method", "class", "attribute", "data", "exception", "module",
                       "describe", "option", "envvar", "decorator", "opcode", "cmdoption", "index-not"}


def _role_sub(m):
    return m.group(1) or m.group(2)


def rst_inline(line):
    line = _ROLE.sub(_role_sub, line)
    line = _LINK.sub(r"\1", line)
    return _INLINE.sub(lambda m: m.group(1) or m.group(2) or m.group(3), line)


def rst_to_text(src):
    out = []
    skip_indent = None  # inside a directive whose body we drop (toctree, index, ...)
    for line in src.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if skip_indent is not None:
            if stripped and indent <= skip_indent:
                skip_indent = None
            else:
                continue
        if _UNDERLINE.match(line):
            continue  # heading under/over-lines
        m = _DIRECTIVE.match(line)
        if m:
            name, arg = m.group(2), m.group(3)
            if name in _KEEP_DIRECTIVE_ARG or name.split(":")[-1] in _KEEP_DIRECTIVE_ARG:
                out.append(m.group(1) + arg)
            elif name in ("note", "warning", "seealso", "versionadded", "versionchanged", "deprecated",
                          "code-block", "highlight", "productionlist", "important", "tip"):
                if arg and name not in ("highlight", "code-block"):
                    out.append(m.group(1) + arg)
            else:
                skip_indent = len(m.group(1))
            continue
        if stripped.startswith(".. ") or stripped == "..":
            skip_indent = indent  # comment or target
            continue
        if stripped.startswith(":") and re.match(r"^:[a-z -]+:", stripped) and indent > 0:
            continue  # directive option
        out.append(rst_inline(line).replace("::", ":") if not line.startswith("    ") else line)
    return "\n".join(out)


def rst_faq_pairs(src):
    """Sections whose title ends with "?" in a FAQ page: (question, answer)."""
    lines = src.splitlines()
    heads = [i for i in range(len(lines) - 1)
             if lines[i].strip().endswith("?") and _UNDERLINE.match(lines[i + 1])
             and len(lines[i + 1].strip()) >= len(lines[i].strip()) - 1]
    allheads = [i for i in range(len(lines) - 1) if lines[i].strip() and _UNDERLINE.match(lines[i + 1])]
    for h in heads:
        nxt = [j for j in allheads if j > h]
        end = nxt[0] if nxt else len(lines)
        body = clean(rst_to_text("\n".join(lines[h + 2:end])))
        if body:
            yield rst_inline(lines[h].strip()), body


def extract_rst(roots, sink):
    for root in roots:
        paths = sorted(glob.glob(os.path.join(root, "usr/share/doc/python3*/html/_sources/**/*.rst.txt"),
                                 recursive=True))
        seen = set()
        for path in paths:
            real = os.path.realpath(path)
            if real in seen:
                continue  # /usr/share/doc/python3.11-doc/html is a link to ../python3.11/html
            seen.add(real)
            if "/whatsnew/" in path and "3.11" not in path:
                continue  # old release notes: long lists of changed names
            with open(path, encoding="utf-8", errors="replace") as f:
                src = f.read()
            if "/faq/" in path:
                for q, a in rst_faq_pairs(src):
                    sink.record("faq", {"question": q, "answer": a, "source": "python-faq"})
            text = clean(rst_to_text(src))
            if text:
                sink.doc(text)


# ---------------------------------------------------------------- html
_DROP = re.compile(r"<(script|style|head|nav|header|footer)\b.*?</\1>|<!--.*?-->", re.S | re.I)
_NAVDIV = re.compile(r'<div class="(?:navheader|navfooter|toc|list-of-[a-z]+)".*?</div>', re.S | re.I)
_BLOCK = re.compile(r"</?(?:p|div|h[1-6]|li|dt|dd|tr|br|pre|table|ul|ol|dl|blockquote|section|title)\b[^>]*>", re.I)
_PRE = re.compile(r"<pre\b[^>]*>(.*?)</pre>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(markup):
    markup = _DROP.sub("", markup)
    markup = _NAVDIV.sub("", markup)
    pres = []

    def keep_pre(m):
        pres.append(html.unescape(_TAG.sub("", m.group(1))))
        return f"<pre>\x00PRE{len(pres) - 1}\x00</pre>"

    markup = _PRE.sub(keep_pre, markup)
    markup = markup.replace("\n", " ")  # outside <pre>, a newline is just a space
    markup = _BLOCK.sub("\n", markup)
    text = html.unescape(_TAG.sub("", markup))
    lines = [" ".join(l.split()) for l in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{2,}", "\n\n", text)
    text = re.sub(r"\x00PRE(\d+)\x00", lambda m: pres[int(m.group(1))].strip("\n"), text)
    return text


def html_faq_pairs(markup):
    """Debian FAQ (DocBook HTML): h3 titles "N.N. Question?" followed by the answer."""
    markup = _DROP.sub("", markup)
    parts = re.split(r"<h3\b[^>]*>(.*?)</h3>", markup, flags=re.S | re.I)
    for i in range(1, len(parts) - 1, 2):
        q = " ".join(html.unescape(_TAG.sub("", parts[i])).split())
        q = re.sub(r"^[\d.]+\s*", "", q)
        if q.endswith("?"):
            a = clean(html_to_text(re.split(r"<h[12]\b", parts[i + 1])[0]))
            if a:
                yield q, a


def extract_html(roots, sink, patterns=("usr/share/doc/**/*.html",), faq_source=None):
    for root in roots:
        paths = []
        for pat in patterns:
            paths += glob.glob(os.path.join(root, pat), recursive=True)
        for path in sorted(set(paths)):
            base = os.path.basename(path)
            # Only English pages of multilingual manuals
            if re.search(r"\.(?!en\.)[a-z]{2}(?:[-_][a-zA-Z]{2})?\.html$", base):
                continue
            if "/" in os.path.relpath(path, root) and re.search(r"/(?!en[/-])[a-z]{2}(?:-[a-zA-Z]{2})?/", path[len(root):]):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                markup = f.read()
            if faq_source:
                for q, a in html_faq_pairs(markup):
                    sink.record("faq", {"question": q, "answer": a, "source": faq_source})
            text = clean(html_to_text(markup))
            if len(text) > 200:
                sink.doc(text)


# ---------------------------------------------------------------- man (roff)
_FONT = re.compile(r"\\f(?:\[[^\]]*\]|\(..|.)")
_ESCAPES = [(re.compile(r"\\\(em|\\\[em\]"), "\u2014"), (re.compile(r"\\\(en|\\\[en\]"), "\u2013"),
            (re.compile(r"\\\(aq|\\\[aq\]"), "'"), (re.compile(r"\\\(dq|\\\[dq\]"), '"'),
            (re.compile(r"\\\(lq|\\\(rq|\\\[lq\]|\\\[rq\]"), '"'), (re.compile(r"\\\(bu|\\\[bu\]"), "*"),
            (re.compile(r"\\\(co"), "\u00a9"), (re.compile(r"\\[-]"), "-"), (re.compile(r"\\[e\\]"), "\\"),
            (re.compile(r"\\&|\\:|\\%|\\/|\\,|\\\||\\\^|\\c"), ""), (re.compile(r"\\ |\\~|\\0"), " "),
            (re.compile(r"\\\*\(..|\\\*\[[^\]]*\]|\\\*."), ""), (re.compile(r"\\s[+-]?\d+"), ""),
            (re.compile(r"\\\([a-zA-Z]{2}|\\\[[^\]]*\]"), "")]
_TEXT_MACROS = {"B", "I", "BR", "RB", "IR", "RI", "BI", "IB", "SM", "SB"}


def roff_inline(s):
    s = _FONT.sub("", s)
    for rx, rep in _ESCAPES:
        s = rx.sub(lambda m, rep=rep: rep, s)
    return s


def man_to_text(src):
    out = []
    for line in src.splitlines():
        if line.startswith(('.\\"', "'\\\"", '\\"')):
            continue
        if line.startswith((".", "'")):
            parts = line[1:].split(None, 1)
            if not parts:
                continue
            macro, arg = parts[0], (parts[1] if len(parts) > 1 else "")
            if macro in ("SH", "SS"):
                out += ["", roff_inline(arg.strip('"'))]
            elif macro in _TEXT_MACROS:
                words = re.findall(r'"[^"]*"|\S+', arg)
                words = [w.strip('"') for w in words]
                joiner = "" if macro in ("BR", "RB", "IR", "RI", "BI", "IB") else " "
                out.append(roff_inline(joiner.join(words)))
            elif macro in ("PP", "LP", "P", "TP", "IP", "HP", "sp", "br"):
                out.append("")
                if macro == "IP" and arg:
                    out.append(roff_inline(arg.split('"')[1] if arg.startswith('"') else arg.split()[0]))
            elif macro == "TH":
                out.append(roff_inline(arg.split()[0] if arg else ""))
            continue
        out.append(roff_inline(line))
    text = "\n".join(out)
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paras if p)


def extract_man(roots, sink):
    for root in roots:
        for path in sorted(glob.glob(os.path.join(root, "usr/share/man/man*/*.gz"))):
            with gzip.open(path) as f:
                src = f.read().decode("utf-8", errors="replace")
            if src.startswith(".so "):
                continue  # alias page
            text = clean(man_to_text(src))
            if len(text) > 200:
                sink.doc(text)


# ---------------------------------------------------------------- plain text with box drawing (jargon)
def extract_jargon(roots, sink):
    for root in roots:
        for path in glob.glob(os.path.join(root, "usr/share/doc/jargon-text/jargon.txt.gz")):
            with gzip.open(path) as f:
                text = f.read().decode("utf-8", errors="replace")
            lines = [l for l in text.splitlines() if not re.search(r"[\u2500-\u257f]", l)]
            paras = re.split(r"\n\s*\n", "\n".join(lines))
            batch = []
            for p in paras:
                if p.strip():
                    batch.append(p.strip("\n"))
                if len(batch) >= 200:
                    sink.doc(clean("\n\n".join(batch)))
                    batch = []
            if batch:
                sink.doc(clean("\n\n".join(batch)))
