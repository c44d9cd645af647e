"""`kotodoc templates check`: find what would break or garble a DOCX template before a case meets it.

A municipality keeps its own templates (`<lang>/<kind>.docx`, edited in Word) in a repository of its
own; its CI runs `kotodoc templates check DIR`, which exits 1 on any problem. These checks, each
collecting every problem it finds (never stopping at the first):

- **syntax**: each part (body, headers, footers) is patched with docxtpl's own `patch_xml` and
  compiled in kotodoc's sandboxed Jinja environment, exactly as `docx._render.CompiledTemplate` does, so a
  template that passes compiles when rendering. Jinja stops at the first syntax error of a source,
  so one syntax error is reported per part; the unknown-variable check of that part waits for it to
  be fixed. An unclosed block is located where it opens, not at the end of the part. Unknown filters
  and tests inside an `if`, which Jinja only notices when the branch runs, are reported too.
- **unknown-variable**: every variable, attribute chain (`person.full_name`, `x["y"]`, `row[0].line`)
  and loop variable over a known list (`{% for s in plan.services %}{{ s.type }}`) is checked against
  the *shape* of real contexts: kotodoc's own context builders (`run._steps.documents`, hence
  `build_context`, `claim_context`, `notice_context`) run on complete example cases shipped in
  `kotodoc/data/check-cases/` (the repository's `samples/` are not installed with the package), in
  fi, sv and en. No list of names is kept by hand: a key added to a context builder is known at
  once. Names the template sets itself (`set`, `for`, macros, `with`), Jinja's globals, methods of
  the value's type (`x.items()`), and chains guarded by `is defined` or `|default` pass.
- **split-tag**: a Jinja tag whose text spans several Word runs (`<w:r>`), as Word leaves it after
  spell-checking or tracked revisions, in the raw part XML. docxtpl usually copes, but the value
  takes the formatting of the first run and later edits in Word break the tag easily.
- **TEMPLATE-EXTERNAL, TEMPLATE-MACRO, TEMPLATE-FIELD, TEMPLATE-TOO-LARGE**: what the renderer
  refuses before it uses a template (`kotodoc.docx` scan_template), by part: external links, macros,
  fields that load something, a ZIP bomb. **TEMPLATE-JINJA**: Jinja the sandbox refuses
  (`__class__`, `mro`, `t.update(...)`) or that writes raw XML (`|safe`, `{% autoescape false %}`),
  by paragraph and in every branch, where rendering would only meet it when the branch runs.
- **language-difference**: for each kind present in more than one language (the directory laid
  over the built-in templates, as the renderer falls back to them), the fi, sv and en versions
  must use the same context variables. Loop variables are compared by what they stand for
  (`plan.services[].type`: `[]` is "each item of"), so `s.type` and `x.type` over the same list
  are the same variable.

Files: only `fi/`, `sv/` and `en/` are read; other folders and files (README, CI config) are not
templates and are left alone. A `.docx` in a language folder whose name is not a template kind
(`fi/integration-plan-old.docx`) is reported as `unknown-template`: kotodoc would never use it, and a
misspelt name silently falls back to the built-in, so the CI should say so. Word's lock files
(`~$...docx`) and hidden files are skipped. A file that is not a readable DOCX is `unreadable`.

Paragraph numbers count every `<w:p>` of a part in document order from 1, table cells and text
boxes included, in the XML before docxtpl removes `{%p %}` and `{%tr %}` paragraphs and rows, so
"paragraph 12" is the same paragraph for every check. The message quotes the paragraph's text.
"""

from __future__ import annotations

import difflib
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jinja2
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import parse_xml
from docxtpl import DocxTemplate
from jinja2 import nodes
from lxml import etree

from kotodoc._languages import LANGUAGES
from kotodoc._vocabulary import read_overlay
from kotodoc.docx import TemplateSet, jinja_env, scan_template
from kotodoc.errors import CaseError, Severity, TemplateRenderError, UsageError
from kotodoc.load import Logo, load_case
from kotodoc.model import build_case
from kotodoc.rules import check_case
from kotodoc.run import documents, templates_root

__all__ = ["ProblemCode", "TemplateProblem", "check_templates", "wording_differences"]

ProblemCode = Literal[
    "syntax", "unknown-variable", "split-tag", "language-difference", "unknown-template", "unreadable",
    "TEMPLATE-EXTERNAL", "TEMPLATE-MACRO", "TEMPLATE-FIELD", "TEMPLATE-JINJA", "TEMPLATE-TOO-LARGE",
    "wording-difference", "vocabulary",
]


@dataclass(frozen=True)
class TemplateProblem:
    """One located problem in a DOCX template."""

    template: Path
    part: str | None  # "word/document.xml", "word/header1.xml"; None for the whole template
    paragraph: int | None  # 1-based, every <w:p> of the part in document order
    code: ProblemCode
    message: str

    def __str__(self) -> str:
        where = str(self.template)
        if self.part is not None:
            where += f" › {self.part}"
            if self.paragraph is not None:
                where += f" › paragraph {self.paragraph}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready mapping."""
        return {
            "template": str(self.template),
            "part": self.part,
            "paragraph": self.paragraph,
            "code": self.code,
            "message": self.message,
        }


def check_templates(directory: Path | None) -> list[TemplateProblem]:
    """Check every template of a template directory (`<lang>/<kind>.docx`).

    Args:
        directory: the directory to check; None for kotodoc's built-in templates.

    Returns:
        Every problem found, template by template (fi, sv, en; kinds in name order), then the
        differences between languages. An empty list means the templates are fine.

    Raises:
        UsageError: the directory does not exist, or holds no `<lang>/*.docx` at all.
    """
    builtin = templates_root()
    root = builtin if directory is None else directory
    if not root.is_dir():
        raise UsageError(f"{root}: no such directory")
    files = _template_files(root)
    vocabulary = _vocabulary_problems(root) if directory is not None else []
    if not files and not (root / "locale").is_dir():
        raise UsageError(f"{root}: no templates found; expected <lang>/<kind>.docx with lang "
                         f"{', '.join(LANGUAGES)} (such as fi/integration-plan.docx)")
    shapes = context_shapes()
    problems: list[TemplateProblem] = []
    checked: dict[tuple[str, str], _Analysis] = {}
    for lang, kind, path in files:
        if kind not in shapes:
            problems.append(TemplateProblem(
                path, None, None, "unknown-template",
                f"{kind}.docx is not a template kotodoc uses; the kinds are {', '.join(sorted(shapes))}",
            ))
            continue
        analysis = _analyse(path, kind)
        problems.extend(analysis.problems)
        checked[(kind, lang)] = analysis
    # The set the renderer uses: the directory laid over the built-ins (`TemplateSet.path` decides).
    look = TemplateSet(overlay=root, builtin=builtin)
    for kind in sorted({kind for kind, _ in checked}):
        versions: dict[str, tuple[_Analysis, bool]] = {}
        for lang in LANGUAGES:
            if (kind, lang) in checked:
                versions[lang] = (checked[(kind, lang)], True)
            elif (fallback := look.path(kind, lang)).is_file():
                versions[lang] = (_analyse(fallback, kind), False)
        problems.extend(_language_differences(versions))
    return problems + vocabulary


def _vocabulary_problems(root: Path) -> list[TemplateProblem]:
    """The directory's own labels (`locale/<lang>/terms.po`), checked as the renderer checks them."""
    found = []
    for lang in LANGUAGES:
        po = root / "locale" / lang / "terms.po"
        if po.is_file():
            try:
                read_overlay(po, lang)
            except UsageError as e:
                # `FILE:LINE: CODE: ...` as the renderer says it; the template path is printed already.
                rest = re.match(r":(?:(\d+):)? ?(.*)", str(e).removeprefix(str(po)), re.DOTALL)
                message = f"line {rest[1]}: {rest[2]}" if rest and rest[1] else (rest[2] if rest else str(e))
                found.append(TemplateProblem(po, None, None, "vocabulary", message))
    return found


# ---------------------------------------------------------------------------------------------
# Wording: a municipality's copy of a template against the built-in one


def wording_differences(directory: Path) -> list[TemplateProblem]:
    """Where a municipality's own templates differ from the built-in wording, paragraph by paragraph.

    A municipality's template starts as a copy of a built-in one; when kotodoc's wording is fixed
    later, the copy keeps the old text. For each `<lang>/<kind>.docx` of `directory` this compares
    the text of its paragraphs (Jinja tags included, formatting ignored) with the built-in template
    of the same kind and language, part by part (body, and headers and footers of the same name),
    and reports each paragraph that differs with both texts, each built-in paragraph the copy lacks,
    and each paragraph of the copy's own, as `wording-difference`. Empty paragraphs are left out.
    Differences are not errors: a municipality's own wording is its right; the list shows where
    to take an upstream fix.

    Raises:
        UsageError: the directory does not exist.
    """
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such directory")
    builtin = templates_root()
    found: list[TemplateProblem] = []
    for lang, kind, path in _template_files(directory):
        base = builtin / lang / f"{kind}.docx"
        if not base.is_file():
            continue  # not a template kotodoc uses: check_templates reports it
        try:
            own, upstream = _wording(path), _wording(base)
        except (OSError, PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError):
            continue  # check_templates reports an unreadable file
        for part, theirs in upstream.items():
            if part in own:
                found += _compare(path, part, theirs, own[part])
    return found


def _wording(path: Path) -> dict[str, list[tuple[int, str]]]:
    """The non-empty paragraphs of each part, as `(paragraph number, text)`."""
    tpl = DocxTemplate(str(path))
    tpl.render_init()
    out: dict[str, list[tuple[int, str]]] = {}
    for name, element, _ in _parts(tpl):
        texts = ("".join(t for _, t in _paragraph_text(p)).strip() for p in element.iter(_W_P))
        out[name] = [(n, text) for n, text in enumerate(texts, 1) if text]
    return out


def _compare(path: Path, part: str, theirs: list[tuple[int, str]], own: list[tuple[int, str]]) -> list[TemplateProblem]:
    found: list[TemplateProblem] = []
    matcher = difflib.SequenceMatcher(a=[t for _, t in theirs], b=[t for _, t in own], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = list(zip(range(i1, i2), range(j1, j2), strict=False)) if tag == "replace" else []
        for i, j in pairs:
            found.append(TemplateProblem(
                path, part, own[j][0], "wording-difference",
                f"differs from the built-in template's paragraph {theirs[i][0]}: "
                f"built-in “{_short(theirs[i][1], 240)}”, here “{_short(own[j][1], 240)}”"))
        for i in range(i1 + len(pairs), i2):
            at = own[j1][0] if j1 < len(own) else None
            found.append(TemplateProblem(
                path, part, at, "wording-difference",
                f"the built-in template's paragraph {theirs[i][0]} “{_short(theirs[i][1], 240)}” is not in this "
                f"template{' (it would come before this paragraph)' if at else ''}"))
        found.extend(TemplateProblem(path, part, own[j][0], "wording-difference",
                                     f"this template's own paragraph “{_short(own[j][1], 240)}”")
                     for j in range(j1 + len(pairs), j2))
    return found


def _template_files(root: Path) -> list[tuple[str, str, Path]]:
    """`(lang, kind, path)` of every `<lang>/*.docx`, languages in kotodoc's order, kinds by name."""
    # Word keeps `~$name.docx` beside an open document; dot files are editors' and the OS's.
    return [
        (lang, path.stem, path)
        for lang in LANGUAGES if (root / lang).is_dir()
        for path in sorted((root / lang).glob("*.docx"))
        if path.is_file() and not path.name.startswith(("~$", "."))
    ]


# ---------------------------------------------------------------------------------------------
# The shape of the real contexts


@dataclass
class Shape:
    """What the values at one place of the contexts looked like, over every example case and language.

    `types` holds the Python types seen (dict, list, str, bool, int, NoneType); `keys` the shapes
    of a mapping's values, `item` of a list's items. A place that was only ever None or an empty
    list is a *hole*: nothing below it can be checked.
    """

    types: set[type] = field(default_factory=set)
    keys: dict[str, Shape] = field(default_factory=dict)
    item: Shape | None = None

    def add(self, value: Any) -> None:
        """Merge one more value seen at this place."""
        self.types.add(type(value))
        if isinstance(value, Mapping):
            for key, child in value.items():
                self.keys.setdefault(str(key), Shape()).add(child)
        elif isinstance(value, list | tuple):
            for child in value:
                if self.item is None:
                    self.item = Shape()
                self.item.add(child)

    @property
    def hole(self) -> bool:
        """True when no value here was ever more than None or an empty list."""
        filled = self.types - {type(None)}
        return not filled or (filled <= {list, tuple} and self.item is None)

    def describe(self) -> str:
        """What a value here is, in words, for messages."""
        names = {dict: "a mapping", list: "a list", tuple: "a list", str: "text", bool: "true or false",
                 int: "a number"}
        seen = [names.get(t, t.__name__) for t in self.types if t is not type(None)]
        return " or ".join(sorted(set(seen))) or "empty"


_CASES = resources.files("kotodoc") / "data" / "check-cases"


@cache
def context_shapes() -> dict[str, Shape]:
    """The shape of the context of every template kind, from the real context builders.

    Each example case in `kotodoc/data/check-cases/` is loaded, validated and given the rules like
    any case, then `documents()` (the one place that decides which template a context goes to)
    builds its contexts in fi, sv and en. Read once per process.

    Raises:
        RuntimeError: an example case no longer passes validation: a kotodoc bug, not the user's.
    """
    shapes: dict[str, Shape] = {}
    for entry in sorted(_CASES.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        name = Path("check-cases") / entry.name
        try:
            loaded = load_case(name, entry.read_text(encoding="utf-8"))
            case = build_case(loaded)
        except CaseError as e:
            raise RuntimeError(f"kotodoc's example case {name} is invalid: {e.findings[0]}") from None
        errors = [f for f in check_case(case, loaded, None) if f.severity is Severity.ERROR]
        if errors:
            raise RuntimeError(f"kotodoc's example case {name} is invalid: {errors[0]}")
        for doc in documents(case, list(LANGUAGES)):  # one edition per language
            for lang in doc.langs:
                shape, context = shapes.setdefault(doc.template, Shape()), doc.context(lang)
                for extra in _RENDER_ADDS:
                    shape.add({**context, **extra})
    return shapes


# What `run._steps.render_document` adds to every context after the context builders: the profile's
# logo (`Logo.context()`, its size in the header) or None. Mirrored here because it happens inside
# rendering; the keys under `logo` still come from the real `Logo.context()`.
_RENDER_ADDS: tuple[dict[str, Any], ...] = (
    {"logo": None},
    {"logo": Logo(b"", "png", 1, 1).context()},
)


# ---------------------------------------------------------------------------------------------
# One template


@dataclass(frozen=True)
class _Analysis:
    """What the check learnt from one template file."""

    path: Path
    problems: list[TemplateProblem]
    variables: frozenset[str]  # context variables used, by what they stand for (`plan.services[].type`)
    complete: bool  # False when a syntax error or an unreadable file left the variables partial
    unchecked: frozenset[str] = frozenset()  # chains below a hole of the example contexts


def _analyse(path: Path, kind: str) -> _Analysis:
    """Analyse a template; unchanged files are analysed once per process (the built-ins, many times)."""
    st = path.stat()
    return _analyse_file(path, kind, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _analyse_file(path: Path, kind: str, mtime_ns: int, size: int) -> _Analysis:
    # What the renderer refuses before it uses a template (`kotodoc.docx.scan_template`), by part; first, since
    # an external target can also keep python-docx from loading the template at all.
    try:
        problems: list[TemplateProblem] = [TemplateProblem(path, found.part, None, found.code,
                                                           f"{found.code}: {found.message}")
                                           for found in scan_template(path)]
    except TemplateRenderError:
        problems = []  # not a ZIP or not XML: python-docx says so below
    if any(p.code == "TEMPLATE-TOO-LARGE" for p in problems):
        return _Analysis(path, problems, frozenset(), complete=False)  # not unpacked any further
    try:
        tpl = DocxTemplate(str(path))
        tpl.render_init()
        parts = list(_parts(tpl))
    except OSError as e:
        return _Analysis(path, [*problems, _unreadable(path, e.strerror or str(e))], frozenset(), complete=False)
    except (PackageNotFoundError, zipfile.BadZipFile):
        return _Analysis(path, [*problems, _unreadable(path, "not a DOCX file")], frozenset(), complete=False)
    except (KeyError, ValueError, etree.XMLSyntaxError) as e:  # a ZIP, but not a whole Word document
        return _Analysis(path, [*problems, _unreadable(path, f"not a well-formed Word document ({e})")],
                         frozenset(), complete=False)
    shape = context_shapes()[kind]
    env = jinja_env()
    variables: set[str] = set()
    unchecked: set[str] = set()
    complete = True
    for name, element, xml in parts:
        texts = [_paragraph_text(p) for p in element.iter(_W_P)]
        found = _split_tags(path, name, texts)
        source, lines = _jinja_source(tpl, xml)

        def paragraph(lineno: int | None, lines: list[int | None] = lines) -> int | None:
            return lines[lineno - 1] if lineno is not None and 0 < lineno <= len(lines) else None

        try:
            env.from_string(source)  # exactly what CompiledTemplate compiles (filters and tests included)
            tree = env.parse(source)
        except jinja2.TemplateSyntaxError as e:
            complete = False
            message = e.message or "invalid tag"
            at = paragraph(e.lineno)
            if unclosed := _UNCLOSED.match(message):
                # Jinja reports a missing end tag at the end of the part: point at the opening tag.
                at = paragraph(_unclosed_block(env, source))
                message = f"the {unclosed[2]} block opened here is never closed (Jinja was looking for {unclosed[1]})"
            found.append(TemplateProblem(path, name, at, "syntax", f"syntax error{_quote(texts, at)}: {message}"))
        else:
            found += [TemplateProblem(path, name, paragraph(lineno), "TEMPLATE-JINJA", f"TEMPLATE-JINJA: {message}")
                      for lineno, message in unsafe_jinja(tree)]
            walker = _Walker(shape, env)
            walker.template(tree)
            found += [TemplateProblem(path, name, paragraph(use.lineno), use.code, use.message)
                      for use in walker.unknown]
            variables.update(walker.used)
            unchecked |= walker.unchecked
        problems.extend(sorted(found, key=lambda p: (p.paragraph or 0)))
    return _Analysis(path, problems, frozenset(variables), complete, frozenset(unchecked))


# Attributes Jinja's sandbox refuses (besides every name starting with `_`), and the methods its
# immutable sandbox refuses because they change a list, dict or set given to the template.
_UNSAFE_ATTRIBUTES = frozenset({"mro", "func_globals", "func_code", "gi_frame", "gi_code", "cr_frame", "cr_code",
                                "ag_code", "ag_frame", "f_globals", "f_locals", "f_builtins", "tb_frame",
                                "im_func", "im_self", "im_class"})
# (jinja2.sandbox's `_mutable_spec`, spelt out: it is private to Jinja.)
_MUTATING = frozenset({"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear", "update",
                       "setdefault", "popitem", "add", "discard", "difference_update",
                       "symmetric_difference_update", "intersection_update", "appendleft", "extendleft",
                       "popleft", "rotate"})


def unsafe_jinja(tree: nodes.Template) -> Iterator[tuple[int, str]]:
    """`(line, message)` for each construct the sandbox refuses or that lets a template write raw XML.

    The renderer refuses these when the line runs (a `SecurityError`); the check finds them in
    every branch, before a case meets them.
    """
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Call, nodes.Filter,
                               nodes.ScopedEvalContextModifier, nodes.EvalContextModifier)):
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            name = node.attr if isinstance(node, nodes.Getattr) else \
                node.arg.value if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) else None
            if name is not None and (name.startswith("_") or name in _UNSAFE_ATTRIBUTES):
                yield node.lineno, f"`{name}` reaches into Python internals; the sandbox refuses it"
        elif isinstance(node, nodes.Call):
            if isinstance(node.node, nodes.Getattr) and node.node.attr in _MUTATING:
                yield node.lineno, (f"`.{node.node.attr}()` changes a value given to the template; the sandbox "
                                    "refuses it, since the next document would see the change")
        elif isinstance(node, nodes.Filter):
            if node.name == "safe":
                yield node.lineno, "`|safe` writes raw XML into the document; the value is escaped otherwise"
        elif isinstance(node, nodes.EvalContextModifier) and any(o.key == "autoescape" for o in node.options):
            yield node.lineno, "autoescape is switched off here, so values can write raw XML into the document"


def _unreadable(path: Path, reason: str) -> TemplateProblem:
    return TemplateProblem(path, None, None, "unreadable", f"cannot read the template: {reason}")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_P, _W_R, _W_T = f"{_W}p", f"{_W}r", f"{_W}t"


def _parts(tpl: DocxTemplate) -> Iterator[tuple[str, Any, str]]:
    """`(part name, lxml element, XML text)` of each part CompiledTemplate renders.

    The same parts and the same serialization as `docx._render.CompiledTemplate.__init__`: the body of
    word/document.xml, then the headers and footers the document refers to.
    """
    root = etree.tostring(tpl.docx._element, encoding="unicode")
    start, end = root.index("<w:body"), root.rindex("</w:body>") + len("</w:body>")
    yield "word/document.xml", tpl.docx._element.body, root[start:end]
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for _, part in tpl.get_headers_footers(uri):
            yield str(part.partname).lstrip("/"), parse_xml(part.blob), tpl.get_part_xml(part)


# A comment before each paragraph (and each row and cell, carrying the number of the paragraph that
# follows) survives docxtpl's patching wherever the paragraph or a `{%p %}`/`{%tr %}` tag replacing
# it ends up; it becomes a line break, so a Jinja line number maps back to a paragraph of the XML.
_OPENING = re.compile(r"<w:(p|tr|tc)(?=[\s>/])")
_MARK = re.compile(r"<!--kotodoc-p(\d+)-->")


def _jinja_source(tpl: DocxTemplate, xml: str) -> tuple[str, list[int | None]]:
    """The Jinja source of a part as docxtpl patches it, and the paragraph of each of its lines."""
    count = 0

    def mark(m: re.Match[str]) -> str:
        nonlocal count
        if m.group(1) == "p":
            count += 1
            return f"<!--kotodoc-p{count}-->{m.group(0)}"
        return f"<!--kotodoc-p{count + 1}-->{m.group(0)}"

    pieces = _MARK.split(tpl.patch_xml(_OPENING.sub(mark, xml)))
    lines: list[int | None] = [None] * (pieces[0].count("\n") + 1)
    out = [pieces[0]]
    for number, text in zip(pieces[1::2], pieces[2::2], strict=True):
        out.append("\n" + text)
        lines += [int(number)] * (text.count("\n") + 1)
    return "".join(out), lines


_UNCLOSED = re.compile(r"Unexpected end of template\. Jinja was looking for the following tags: (.*)\. "
                       r"The innermost block that needs to be closed is ('\w+')\.")
_BLOCKS = {"for", "if", "macro", "call", "filter", "with", "block", "autoescape", "set", "trans"}


def _unclosed_block(env: jinja2.Environment, source: str) -> int | None:
    """The line where the innermost block that is never closed opens (Jinja reports the end of the source)."""
    stack: list[tuple[str, int]] = []
    try:
        tokens = [(line, kind, value) for line, kind, value in env.lex(source) if kind != "whitespace"]
    except jinja2.TemplateSyntaxError:
        return None
    for i, (line, kind, _) in enumerate(tokens):
        if kind != "block_begin" or i + 1 >= len(tokens) or tokens[i + 1][1] != "name":
            continue
        name = tokens[i + 1][2]
        if name == "set":
            # `{% set x = ... %}` is a statement; `{% set x %}...{% endset %}` a block.
            rest = tokens[i + 2:]
            end = next((n for n, t in enumerate(rest) if t[1] == "block_end"), len(rest))
            if any(t[1] == "operator" and t[2] == "=" for t in rest[:end]):
                continue
        if name in _BLOCKS:
            stack.append((name, line))
        elif name.startswith("end") and name[3:] in _BLOCKS:
            for n in range(len(stack) - 1, -1, -1):
                if stack[n][0] == name[3:]:
                    del stack[n:]
                    break
    return stack[-1][1] if stack else None


def _paragraph_text(p: Any) -> list[tuple[int, str]]:
    """The text of a paragraph as `(run number, text)`, leaving out nested paragraphs (text boxes)."""
    out: list[tuple[int, str]] = []
    runs = 0

    def walk(element: Any, run: int | None) -> None:
        nonlocal runs
        for child in element:
            if child.tag == _W_P:
                continue  # a text box's paragraph is numbered and checked on its own
            if child.tag == _W_R:
                runs += 1
                walk(child, runs)
            elif child.tag == _W_T:
                if run is not None and child.text:
                    out.append((run, child.text))
            else:
                walk(child, run)

    walk(p, None)
    return out


_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def _split_tags(path: Path, part: str, texts: list[list[tuple[int, str]]]) -> list[TemplateProblem]:
    """A problem for each Jinja tag whose characters come from more than one run of its paragraph."""
    found: list[TemplateProblem] = []
    for number, pieces in enumerate(texts, 1):
        text = "".join(t for _, t in pieces)
        if "{" not in text:
            continue
        owner = [run for run, t in pieces for _ in t]
        for m in _TAG.finditer(text):
            runs = len(set(owner[m.start():m.end()]))
            if runs > 1:
                found.append(TemplateProblem(
                    path, part, number, "split-tag",
                    f"tag “{_short(m.group(0))}” is split over {runs} Word runs (spell-checking or tracked "
                    "changes); retype it in one go so that it has one formatting",
                ))
    return found


def _quote(texts: list[list[tuple[int, str]]], paragraph: int | None) -> str:
    """` in “paragraph text”`, to find the paragraph in Word."""
    if paragraph is None or not 0 < paragraph <= len(texts):
        return ""
    text = "".join(t for _, t in texts[paragraph - 1]).strip()
    return f" in “{_short(text)}”" if text else ""


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Variables: the Jinja AST against the shape of the contexts


@dataclass(frozen=True)
class _Value:
    """What an expression stands for: its shape (None: unknown, not checked) and its place in the
    context (`plan.services[].type`; None: not from the context: a local, a call's result)."""

    shape: Shape | None
    path: str | None


_ANY = _Value(None, None)


@dataclass(frozen=True)
class _Unknown:
    message: str
    lineno: int
    code: ProblemCode = "unknown-variable"


# Filters whose result is their input reordered or filtered: a loop over `plan.services|sort` still
# has services as items. `first`/`last`/`random` give one item.
_SAME_FILTERS = {"sort", "reverse", "list", "unique", "selectattr", "rejectattr", "select", "reject", "dictsort"}
_ITEM_FILTERS = {"first", "last", "random"}
_DEFAULT_FILTERS = {"default", "d"}


class _Walker:
    """Walk a Jinja template's AST in document order with the names in scope at each point."""

    def __init__(self, shape: Shape, env: jinja2.Environment):
        self.shape = shape
        self.globals = set(env.globals)
        self.filters, self.tests = set(env.filters), set(env.tests)
        self.scopes: list[dict[str, _Value]] = [{}]
        self.used: list[str] = []
        self.unknown: list[_Unknown] = []
        self.unchecked: set[str] = set()
        self.guarded: set[str] = set()
        self._seen: set[tuple[str, int]] = set()

    # statements ---------------------------------------------------------------------------

    def template(self, tree: nodes.Template) -> None:
        """Check a whole template."""
        # `x is defined` anywhere declares x optional: the template copes with its absence.
        for test in tree.find_all(nodes.Test):
            if test.name in ("defined", "undefined") and (shown := _spelling(test.node)):
                self.guarded.add(shown)
        self.body(tree.body)

    def body(self, statements: Iterable[nodes.Node]) -> None:
        for node in statements:
            self.stmt(node)

    def stmt(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Expr):
            self.expr(node)
        elif isinstance(node, nodes.For):
            source = self.expr(node.iter)
            self.scopes.append({"loop": _ANY})
            self.bind(node.target, self.item(source))
            if node.test is not None:
                self.expr(node.test)
            self.body(node.body)
            self.scopes.pop()
            self.body(node.else_)
        elif isinstance(node, nodes.Assign):
            value = self.expr(node.node)
            if isinstance(node.target, nodes.NSRef):
                self.expr(nodes.Name(node.target.name, "load", lineno=node.lineno))
            else:
                self.bind(node.target, value)
        elif isinstance(node, nodes.AssignBlock):
            self.body(node.body)
            self.bind(node.target, _ANY)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            if isinstance(node, nodes.Macro):
                self.scopes[-1][node.name] = _ANY
            else:
                self.expr(node.call)
            for default in node.defaults:
                self.expr(default)
            self.scopes.append({"caller": _ANY, "varargs": _ANY, "kwargs": _ANY})
            for arg in node.args:
                self.bind(arg, _ANY)
            self.body(node.body)
            self.scopes.pop()
        elif isinstance(node, nodes.With):
            values = [self.expr(v) for v in node.values]
            self.scopes.append({})
            for target, value in zip(node.targets, values, strict=True):
                self.bind(target, value)
            self.body(node.body)
            self.scopes.pop()
        elif isinstance(node, nodes.Import | nodes.FromImport):
            self.expr(node.template)
            if isinstance(node, nodes.Import):
                self.scopes[-1][node.target] = _ANY
            for name in getattr(node, "names", ()):
                self.scopes[-1][name[1] if isinstance(name, tuple) else name] = _ANY
        else:
            # If, Output, FilterBlock, Block, Scope...: check what they hold, in order. An `if`
            # opens no scope in Jinja, so names it sets stay visible after it.
            for child in node.iter_child_nodes():
                self.stmt(child)

    def bind(self, target: nodes.Node, value: _Value) -> None:
        """Bind a name set by the template (`set`, `for`, macro arguments)."""
        if isinstance(target, nodes.Name):
            self.scopes[-1][target.name] = value
        else:  # a tuple target: `for k, v in x.items()`
            for name in target.find_all(nodes.Name):
                self.scopes[-1][name.name] = _ANY

    # expressions --------------------------------------------------------------------------

    def expr(self, node: nodes.Node, *, base: bool = False, report: bool = True) -> _Value:
        """Check an expression; return what it stands for.

        `base`: the expression is the start of a longer chain (only the whole chain is recorded as
        used). `report`: False where a missing value is allowed (`x is defined`, `x|default`).
        """
        if isinstance(node, nodes.Name):
            value = self.name(node, report)
        elif isinstance(node, nodes.Getattr):
            value = self.step(node, self.expr(node.node, base=True, report=report), node.attr, report)
        elif isinstance(node, nodes.Getitem):
            owner = self.expr(node.node, base=True, report=report)
            self.expr(node.arg)
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                value = self.step(node, owner, node.arg.value, report)
            elif isinstance(node.arg, nodes.Slice):
                value = owner
            else:  # a number or a computed index: an item of a list
                value = self.item(owner)
        elif isinstance(node, nodes.Filter):
            value = self.filter(node, report)
        elif isinstance(node, nodes.Test):
            lenient = node.name in ("defined", "undefined")
            if node.name not in self.tests:  # as for filters: inside an `if`, Jinja finds it only when run
                self.report(node, f"syntax error: unknown test {node.name}{_suggest(node.name, self.tests, '')}",
                            "syntax")
            self.expr(node.node, report=report and not lenient)
            self.args(node)
            value = _ANY
        else:
            for child in node.iter_child_nodes():
                self.expr(child, report=report)
            value = _ANY
        if not base and value.path is not None and isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            self.used.append(value.path)
        return value

    def args(self, node: nodes.Filter | nodes.Test | nodes.Call) -> None:
        for arg in [*node.args, *(k.value for k in node.kwargs)]:
            self.expr(arg)
        for extra in (node.dyn_args, node.dyn_kwargs):
            if extra is not None:
                self.expr(extra)

    def filter(self, node: nodes.Filter, report: bool) -> _Value:
        self.args(node)
        if node.name not in self.filters:
            # Jinja rejects an unknown filter when compiling, except inside an `if`: there only when
            # the branch runs, which may be with the one case in a hundred that takes it.
            self.report(node, f"syntax error: unknown filter {node.name}{_suggest(node.name, self.filters, '')}",
                        "syntax")
        if node.node is None:  # `{% filter upper %}`: the block's body is the input
            return _ANY
        lenient = node.name in _DEFAULT_FILTERS
        value = self.expr(node.node, base=not lenient, report=report and not lenient)
        if node.name in _SAME_FILTERS or lenient:
            return value
        if node.name in _ITEM_FILTERS:
            return self.item(value)
        if value.path is not None:
            self.used.append(value.path)
        return _ANY

    def name(self, node: nodes.Name, report: bool) -> _Value:
        for scope in reversed(self.scopes):
            if node.name in scope:
                return scope[node.name]
        if node.name in self.shape.keys:
            return _Value(self.shape.keys[node.name], node.name)
        if node.name not in self.globals and report and node.name not in self.guarded:
            self.report(node, f"unknown variable {node.name}{_suggest(node.name, self.shape.keys, '')}")
        return _ANY

    def step(self, node: nodes.Getattr | nodes.Getitem, owner: _Value, key: str, report: bool) -> _Value:
        """`owner.key` (or `owner["key"]`): a value of a mapping, a method of the value's type, or unknown."""
        path = None if owner.path is None else f"{owner.path}.{key}"
        shape = owner.shape
        if shape is None or shape.hole:
            if shape is not None and owner.path is not None:
                self.unchecked.add(owner.path)
            return _Value(None, path)
        if dict in shape.types and key in shape.keys:
            return _Value(shape.keys[key], path)
        if not key.startswith("_") and any(hasattr(t, key) for t in shape.types):
            # A method (`x.items()`, `name.upper()`), allowed by the sandbox: the value itself is used.
            if owner.path is not None:
                self.used.append(owner.path)
            return _ANY
        if report and not _is_guarded(_spelling(node), self.guarded):
            shown = _spelling(node) or f"….{key}"
            base = shown[: -len(key) - 1] if shown.endswith(key) else shown
            if dict in shape.types:
                hint = _suggest(key, shape.keys, base + ".")
                if owner.path is not None and owner.path.endswith("[]"):
                    # Say what a loop variable stands for: `s` is an item of plan.services.
                    what = f"an item of {owner.path[:-2]} has no {key}"
                    hint = f" ({what}; {hint[2:-1]})" if hint else f" ({what})"
                message = f"unknown variable {shown}{hint}"
            elif list in shape.types or tuple in shape.types:
                message = f"unknown variable {shown} ({base} is a list: loop over it with {{% for %}})"
            else:
                message = f"unknown variable {shown} ({base} is {shape.describe()})"
            self.report(node, message)
        return _ANY

    def item(self, owner: _Value) -> _Value:
        """An item of a list (a loop variable, `x[0]`, `x|first`)."""
        shape, path = owner.shape, None if owner.path is None else f"{owner.path}[]"
        if shape is None or shape.hole:
            if shape is not None and owner.path is not None:
                self.unchecked.add(owner.path)
            return _Value(None, path)
        if shape.item is not None:
            return _Value(shape.item, path)
        if dict in shape.types:  # iterating a mapping gives its keys
            return _Value(None, None)
        return _Value(None, path)

    def report(self, node: nodes.Node, message: str, code: ProblemCode = "unknown-variable") -> None:
        if (message, node.lineno) not in self._seen:
            self._seen.add((message, node.lineno))
            self.unknown.append(_Unknown(message, node.lineno, code))


def _spelling(node: nodes.Node) -> str | None:
    """A chain as the template writes it (`person.full_name`, `row[0].line`); None for other expressions."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _spelling(node.node)
        return None if base is None else f"{base}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        base = _spelling(node.node)
        if base is None:
            return None
        arg = node.arg
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            return f"{base}.{arg.value}" if arg.value.isidentifier() else f'{base}["{arg.value}"]'
        if isinstance(arg, nodes.Const):
            return f"{base}[{arg.value!r}]"
        return f"{base}[…]"
    return None


def _is_guarded(shown: str | None, guarded: set[str]) -> bool:
    return shown is not None and any(shown == g or shown.startswith((g + ".", g + "[")) for g in guarded)


def _suggest(word: str, candidates: Iterable[str], prefix: str) -> str:
    """` (did you mean person.name?)`, or nothing when no name is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {prefix}{close[0]}?)" if close else ""


# ---------------------------------------------------------------------------------------------
# Languages


def _language_differences(versions: Mapping[str, tuple[_Analysis, bool]]) -> list[TemplateProblem]:
    """A problem per variable missing from a language version of one kind.

    `versions` maps a language to its analysis and whether the file is in the checked directory
    (False: the built-in the renderer falls back to). Each problem points to a file of the checked
    directory: the version that lacks the variable, or, when that is a built-in, the directory's
    versions that use it. A kind with a syntax error or an unreadable file is not compared: its
    variables are partial, and the error itself is reported.
    """
    if len(versions) < 2 or not all(analysis.complete for analysis, _ in versions.values()):
        return []
    found: list[TemplateProblem] = []
    for var in sorted(set().union(*(analysis.variables for analysis, _ in versions.values()))):
        having = [lang for lang, (analysis, _) in versions.items() if var in analysis.variables]
        for lang, (analysis, own) in versions.items():
            if var in analysis.variables:
                continue
            message = f"variable {var} is used in {', '.join(having)} but not in {lang}"
            if own:
                found.append(TemplateProblem(analysis.path, None, None, "language-difference", message))
                continue
            for user in having:
                user_analysis, user_own = versions[user]
                if user_own:
                    found.append(TemplateProblem(
                        user_analysis.path, None, None, "language-difference",
                        f"{message} (the built-in {lang} version, used because the directory has no {lang} one)",
                    ))
    return sorted(found, key=_file_order)  # grouped by file (fi, sv, en), then by variable (stable sort)


def _file_order(problem: TemplateProblem) -> tuple[int, str]:
    lang = problem.template.parent.name
    return (LANGUAGES.index(lang) if lang in LANGUAGES else len(LANGUAGES), str(problem.template))
