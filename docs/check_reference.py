#!/usr/bin/env python3
"""Checks that the API reference lists every public name the headers declare.

Doxygen extracts only what is documented (EXTRACT_ALL = NO), and WARN_IF_UNDOCUMENTED warns
only about members of documented scopes: a namespace, a header or a group that loses its
comment drops every name in it from the site without a single warning. So this script reads
the headers (include/acquire/**/*.hpp) and lists the public names they declare in namespace
acquire (acquire::synthetic, acquire::mpi, ...): free functions, classes, structs, enums and
their values, type aliases and variables, and the public members of public classes; nothing in
a namespace detail. It reads Doxygen's XML output (GENERATE_XML: xml/index.xml and the
compound files) and exits 1 listing every header name that is
  - missing from the index;
  - undocumented: an entry without a comment, or described only on a page the HTML does not
    have (a member of an undocumented namespace, class or header);
  - at namespace level and in no group (docs/groups.dox: the reference's per-family pages).
Run by the `docs` target after doxygen:

    check_reference.py INCLUDE_DIR XML_DIR

Python 3, standard library only. The headers are read with regular expressions and a brace
count, as python/tools/docstrings.py reads them: comments, string literals and preprocessor
lines are blanked first, then every statement at namespace or class scope is classified.
"""
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

ACCESS = re.compile(r"^\s*(public|private|protected)\s*$")
NAMESPACE = re.compile(r"^\s*(?:inline\s+)?namespace\s*([\w:]*)\s*$")
TYPE_HEAD = re.compile(r"^\s*(?:typedef\s+)?(enum\s+class|enum\s+struct|enum|class|struct|union)\b"
                       r"(?:\s+alignas\s*\([^)]*\))?\s*(\w+)?")
ALIAS = re.compile(r"^\s*using\s+(\w+)\s*=")
FUNCTION_NAME = re.compile(r"(operator\s*(?:\(\s*\)|\[\s*\]|[^\s\w(]+|\w+)|~?\w+(?:\s*::\s*~?\w+)*)\s*$")
VARIABLE_NAME = re.compile(r"(\w+)\s*(?:\[[^\]]*\])*\s*$")
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "decltype", "alignof", "noexcept",
            "static_assert", "catch", "new", "delete"}


def blank(text):
    """The header with comments, string and character literals and preprocessor lines turned into
    spaces (newlines kept), so that braces and semicolons in them are not counted."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c in " \t":
            out.append(c)
            i += 1
            continue
        if line_start and c == "#":  # a preprocessor line, with its continuations
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        word_start = i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
        raw = re.match(r'R"([^(\s]*)\(', text[i:i + 20]) if c == "R" and word_start else None
        if raw:  # a raw string literal
            end = text.find(")" + raw.group(1) + '"', i)
            end = n if end < 0 else end + len(raw.group(1)) + 2
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:end]))
            i = end
            continue
        if c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum())):  # not 1'000
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
            continue
        if c == "\n":
            line_start = True
        out.append(c)
        i += 1
    return "".join(out)


def strip_templates(statement):
    """The statement without its leading `template <...>` heads."""
    s = statement.lstrip()
    while s.startswith("template"):
        start = s.find("<")
        if start < 0:
            return s
        depth = 0
        for j in range(start, len(s)):
            if s[j] == "<":
                depth += 1
            elif s[j] == ">":
                depth -= 1
                if depth == 0:
                    s = s[j + 1:].lstrip()
                    break
        else:
            return s
    return s


def top_level(statement, char):
    """Position of the first `char` outside (), [] and {} in the statement, or -1."""
    depth = 0
    for j, c in enumerate(statement):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == char and depth == 0:
            return j
    return -1


def declared(statement):
    """(kind, name) of a statement at namespace or class scope, or None for what declares no
    name of its own (static_assert, using-declarations, friends, forward declarations)."""
    s = strip_templates(statement)
    s = re.sub(r"\[\[[^\]]*\]\]", " ", s).strip()  # attributes
    if not s or re.match(r"(static_assert|friend|using\s+namespace)\b", s):
        return None
    m = ALIAS.match(s)
    if m:
        return "typedef", m.group(1)
    if s.startswith("using"):
        return None  # a using-declaration brings in a name declared elsewhere
    if TYPE_HEAD.match(s) and "(" not in s:
        return None  # a forward declaration: the definition is what gets documented
    call = re.search(r"\boperator\s*\(\s*\)\s*\(", s)
    paren = call.end() - 1 if call else s.find("(")
    equals = top_level(s, "=")
    if paren >= 0 and (equals < 0 or equals > paren or re.search(r"operator\s*=*$", s[:equals + 1])):
        m = FUNCTION_NAME.search(s[:paren])
        if m:
            name = re.sub(r"\s+", "", m.group(1))
            if name in KEYWORDS or "::" in name:
                return None  # a call, or a member defined outside its class
            return "function", name
        return None
    head = s[:equals] if equals >= 0 else s
    m = VARIABLE_NAME.search(head)
    if m and re.search(r"[\w>*&]\s+[\w*&]", head.strip()) and m.group(1) not in KEYWORDS:
        return "variable", m.group(1)
    return None


class Header:
    """Walks one blanked header and collects its public names."""

    def __init__(self, path):
        self.path = path
        self.names = {}  # qualified name -> (kind, line)
        self.text = blank(path.read_text())

    def public(self, scopes):
        if not scopes or scopes[0][0] != "namespace":
            return False
        path = []
        for kind, name, access in scopes:
            if kind == "namespace":
                if name in ("", "detail") or name.endswith("::detail") or "::detail::" in name:
                    return False
            elif kind == "class":
                if access != "public" or not name:
                    return False
            else:
                return False
            path.append(name)
        return "::".join(path).split("::")[0] == "acquire"

    def add(self, scopes, kind, name, line):
        qualified = "::".join([s[1] for s in scopes] + [name])
        self.names.setdefault(qualified, (kind, line))

    def walk(self):
        text = self.text
        scopes = []  # (kind, name, access): kind namespace, class, enum or block
        statement = []
        started = False  # the statement has a character other than white space
        start_line = 1
        line = 1
        paren = 0
        for i, c in enumerate(text):
            if c == "\n":
                line += 1
            inside = scopes[-1][0] if scopes else "namespace"
            if inside == "block":  # a function body or an initializer: only its braces count
                if c == "{":
                    scopes.append(("block", "", ""))
                elif c == "}":
                    scopes.pop()
                continue
            if not started and not c.isspace():
                started, start_line = True, line
            if c in "([":
                paren += 1
            elif c in ")]":
                paren -= 1
            if paren or c not in "{};:,":
                statement.append(c)
                continue
            s = "".join(statement)
            if inside == "enum":
                if c in ",}":
                    m = re.match(r"\s*(\w+)", s)
                    if m and self.public(scopes[:-1]):
                        self.add(scopes, "enumvalue", m.group(1), start_line)
                    statement, started = [], False
                    if c == "}":
                        scopes.pop()
                else:
                    statement.append(c)
                continue
            if c == ":":
                # an access specifier; `::`, a base clause or an initializer list stay in the text
                label = text[i + 1:i + 2] != ":" and text[i - 1:i] != ":" and ACCESS.match(s)
                if label and inside == "class":
                    kind, name, _ = scopes.pop()
                    scopes.append((kind, name, ACCESS.match(s).group(1)))
                    statement, started = [], False
                else:
                    statement.append(c)
                continue
            if c == ",":
                statement.append(c)
                continue
            if c == "{":
                body = strip_templates(s)
                m = NAMESPACE.match(body)
                t = TYPE_HEAD.match(body)
                if m:
                    scopes.append(("namespace", m.group(1) or "", ""))
                elif t and top_level(body, "(") < 0:
                    keyword = re.sub(r"\s+", " ", t.group(1))
                    enum = keyword.startswith("enum")
                    name = t.group(2) or ""
                    if name and self.public(scopes):
                        self.add(scopes, "enum" if enum else keyword, name, start_line)
                    access = "private" if keyword == "class" else "public"
                    scopes.append(("enum" if enum else "class", name, access))
                else:
                    found = declared(s)
                    if found and self.public(scopes):
                        self.add(scopes, found[0], found[1], start_line)
                    scopes.append(("block", "", ""))
                statement, started = [], False
                continue
            if c == "}":
                if scopes:
                    scopes.pop()
                statement, started = [], False
                continue
            # c == ";"
            found = declared(s)
            if found and self.public(scopes):
                self.add(scopes, found[0], found[1], start_line)
            statement, started = [], False
        return self.names


def header_names(include_dir):
    """{qualified name: (kind, header, line)} for every public name under include_dir/acquire."""
    root = pathlib.Path(include_dir)
    names = {}
    for path in sorted((root / "acquire").rglob("*.hpp")):
        for name, (kind, line) in Header(path).walk().items():
            names.setdefault(name, (kind, path.relative_to(root).as_posix(), line))
    return names


def described(element):
    """Whether a Doxygen XML element has a brief or a detailed description."""
    return any(element.find(tag) is not None and "".join(element.find(tag).itertext()).strip()
               for tag in ("briefdescription", "detaileddescription"))


def index_names(xml_dir):
    """Doxygen's XML output read back: {qualified name: documented} for every compound and member
    of xml/index.xml (names qualified as in the headers: acquire::entropy, acquire::TopK::push),
    and the set of names on a group's page.

    The XML lists undocumented names too, so a name counts as documented only when every entry
    of it (every overload) has a description and is described on a page the HTML has: a group,
    or a namespace, class or file that is itself documented. An undocumented namespace has no
    page, and its documented functions are then nowhere on the site (the state this check was
    written against)."""
    xml_dir = pathlib.Path(xml_dir)
    compounds = list(ET.parse(xml_dir / "index.xml").getroot().iter("compound"))
    pages = set()  # compounds with a page: groups, and documented namespaces, classes and files
    members = {}   # member (or enum value) id -> described
    inner = {}     # group refid -> its inner classes and namespaces
    for compound in compounds:
        refid = compound.get("refid")
        path = xml_dir / f"{refid}.xml"
        if not path.exists():
            continue
        definition = ET.parse(path).getroot().find("compounddef")
        if compound.get("kind") == "group" or described(definition):
            pages.add(refid)
        for member in definition.iter("memberdef"):
            members[member.get("id")] = described(member)
            for value in member.iter("enumvalue"):
                members[value.get("id")] = True  # listed with its enum, described or not
        if compound.get("kind") == "group":
            inner[refid] = [e.text for e in definition if e.tag in ("innerclass", "innernamespace")]

    def shown(refid):
        return members.get(refid, False) and refid.rsplit("_1", 1)[0] in pages

    names, by_id, grouped = {}, {}, set()
    for compound in compounds:
        kind, name, refid = compound.get("kind"), compound.findtext("name"), compound.get("refid")
        if kind == "group":
            for member in compound.iter("member"):
                by_id.setdefault(member.get("refid"), None)
            continue
        if kind not in ("namespace", "class", "struct", "union"):
            continue
        names[name] = refid in pages
        enum = None
        for member in compound.iter("member"):
            qualified = f"{name}::{member.findtext('name')}"
            if member.get("kind") == "enum":
                enum = qualified
            elif member.get("kind") == "enumvalue" and enum:
                # an enum's values follow it in its scope; the headers name them in the enum's
                qualified = f"{enum}::{member.findtext('name')}"
            names[qualified] = names.get(qualified, True) and shown(member.get("refid"))
            by_id[member.get("refid")] = qualified
    for compound in compounds:
        if compound.get("kind") == "group":
            for member in compound.iter("member"):
                if by_id.get(member.get("refid")):
                    grouped.add(by_id[member.get("refid")])
            grouped.update(inner.get(compound.get("refid"), []))
    return names, grouped


def main(include_dir, xml_dir):
    declared_names = header_names(include_dir)
    if not declared_names:
        print(f"check_reference: no public names found under {include_dir}", file=sys.stderr)
        return 1
    listed, grouped = index_names(xml_dir)
    missing = [n for n in sorted(declared_names) if n not in listed]
    undocumented = [n for n in sorted(declared_names) if n in listed and not listed[n]]
    # namespace-level names (not class members, not enum values) must be on a group's page
    ungrouped = []
    for n, (kind, header, line) in sorted(declared_names.items()):
        owner = n.rsplit("::", 1)[0]
        if kind == "enumvalue" or owner in declared_names:
            continue
        if n not in grouped:
            ungrouped.append(n)
    for n in missing:
        kind, header, line = declared_names[n]
        print(f"{header}:{line}: {kind} {n} is declared but missing from the reference (xml/index.xml)")
    for n in undocumented:
        kind, header, line = declared_names[n]
        print(f"{header}:{line}: {kind} {n} is in the index but has no page of its own or no comment "
              f"(document it, its namespace or class, or its header)")
    for n in ungrouped:
        kind, header, line = declared_names[n]
        print(f"{header}:{line}: {kind} {n} is in no group (wrap it in the header's \\addtogroup block)")
    kinds = {}
    for n, (kind, _, _) in declared_names.items():
        if kind == "function":
            kind = "member function" if n.rsplit("::", 1)[0] in declared_names else "free function"
        kinds[kind] = kinds.get(kind, 0) + 1
    plural = {"class": "classes", "enumvalue": "enum values"}
    summary = ", ".join(f"{count} {plural.get(kind, kind + 's') if count > 1 else kind}"
                        for kind, count in sorted(kinds.items()))
    print(f"check_reference: {len(declared_names)} public names in the headers ({summary}); "
          f"{len(missing)} missing from the reference, {len(undocumented)} undocumented, "
          f"{len(ungrouped)} in no group")
    return 1 if missing or undocumented or ungrouped else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
