"""Stream a CIN census return (XML, schema years 2017 to 2026) into ``Child`` records.

The file is read with lxml's ``iterparse`` one ``Child`` at a time and each is cleared once
read, so memory grows with the records kept, not with the XML tree. Namespaces are ignored and
unknown elements and stray text are skipped: real returns carry both. Every value that cannot be
read is a ``Problem`` naming the file, line and element; reading goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from data.cin_census.records import Assessment, Child, Problem, Referral
from data.codes import LEGACY_CONCERNS, Concern, Ethnicity, ReferralSource

TRUE_VALUES = frozenset({"1", "true"})
FALSE_VALUES = frozenset({"0", "false"})
# GenderCurrent (to 2023-24): 0 not known, 1 male, 2 female, 9 not specified. Sex (from 2024-25).
GENDER_CURRENT = {"1": "M", "2": "F", "0": "U", "9": "U"}
SEX = {"M": "M", "F": "F", "U": "U"}
DISABILITY_CODES = frozenset(
    {"NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA"}
)
SOURCES = frozenset(code.value for code in ReferralSource)
FACTORS = frozenset(code.value for code in Concern)
ETHNICITIES = frozenset(code.value for code in Ethnicity)
UNKNOWN_SOURCE = ReferralSource.UNKNOWN.value

# lxml ships no type information, so its elements are ``Any`` here (Node names the intent).
Node = Any
Parts = dict[str, list[Node]]
# Records a problem: (node or None, item name, value, what is wrong, what was done).
ProblemFn = Callable[[Node, str, str, str, str], None]


def read_return(path: str | Path, problems: list[Problem]) -> Iterator[Child]:
    """Yield each ``Child`` of one return, appending what cannot be read to ``problems``."""
    from lxml import etree

    path = Path(path)
    header: dict[str, str] = {}
    reference_date: date | None = None
    context = etree.iterparse(
        str(path),
        events=("end",),
        tag=("{*}ReferenceDate", "{*}LEA", "{*}Child"),
        huge_tree=True,
        resolve_entities=False,
        no_network=True,
    )
    for _, element in context:
        name = _local(element.tag)
        if name == "Child":
            if reference_date is None:
                problems.append(
                    Problem(
                        path.name,
                        element.sourceline or 0,
                        _id_of(element),
                        "ReferenceDate",
                        header.get("ReferenceDate", ""),
                        "the return has no readable census date before its children",
                        "child skipped",
                    )
                )
            else:
                child = _child(element, path.name, header.get("LEA", ""), reference_date, problems)
                if child is not None:
                    yield child
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
        else:
            text = (element.text or "").strip()
            header[name] = text
            if name == "ReferenceDate":
                reference_date = _date(text)
                if reference_date is None:
                    problems.append(
                        Problem(
                            path.name,
                            element.sourceline or 0,
                            "",
                            name,
                            text,
                            "unreadable census date",
                            "the return's children skipped",
                        )
                    )
    del context


def _child(
    element: Node, file: str, lea: str, reference_date: date, problems: list[Problem]
) -> Child | None:
    parts = _index(element)
    ids = _index(_first(parts, "ChildIdentifiers"))
    chars = _index(_first(parts, "ChildCharacteristics"))
    child_id = _text(_first(ids, "LAchildID"))
    line = element.sourceline or 0

    def problem(node: Node, name: str, value: str, what: str, action: str) -> None:
        where = node.sourceline if node is not None and node.sourceline else line
        problems.append(Problem(file, where, child_id, name, value, what, action))

    if not child_id:
        problem(None, "LAchildID", "", "missing child identifier", "child skipped")
        return None
    birth = _read_date(ids, "PersonBirthDate", problem)
    expected = _read_date(ids, "ExpectedPersonBirthDate", problem)
    sex = _read_sex(ids, problem)
    ethnicity = _read_code(chars, "Ethnicity", ETHNICITIES, problem)
    disability = _read_disability(chars, problem)
    child = Child(
        file, line, lea, child_id, reference_date, birth, expected, sex, ethnicity, disability
    )
    for node in parts.get("CINdetails", ()):
        referral = _referral(node, file, reference_date, problem)
        if referral is not None:
            child.referrals.append(referral)
    return child


def _referral(node: Node, file: str, reference_date: date, problem: ProblemFn) -> Referral | None:
    parts = _index(node)
    line = node.sourceline or 0
    raw = _text(_first(parts, "CINreferralDate"))
    referral_date = _date(raw)
    if referral_date is None:
        what = "missing referral date" if not raw else "unreadable date"
        problem(
            _at(parts, "CINreferralDate", node), "CINreferralDate", raw, what, "referral skipped"
        )
        return None
    if referral_date > reference_date:
        problem(
            _first(parts, "CINreferralDate"),
            "CINreferralDate",
            raw,
            "referral dated after the return's census date",
            "referral skipped",
        )
        return None
    raw_source = _text(_first(parts, "ReferralSource"))
    source = raw_source.upper()
    if source not in SOURCES:
        what = "missing referral source" if not source else "unknown referral source"
        problem(
            _at(parts, "ReferralSource", node),
            "ReferralSource",
            raw_source,
            what,
            f"set to {UNKNOWN_SOURCE} (unknown)",
        )
        source = UNKNOWN_SOURCE
    referral = Referral(
        file=file,
        line=line,
        referral_date=referral_date,
        source=source,
        nfa=_read_bool(parts, "ReferralNFA", problem),
        closure=_read_date(parts, "CINclosureDate", problem),
        reference_date=reference_date,
    )
    for block in parts.get("Assessments", ()):
        found = _index(block)
        factors: list[str] = []
        for holder in found.get("FactorsIdentifiedAtAssessment", ()):
            for factor in _index(holder).get("AssessmentFactors", ()):
                code = _factor(factor, problem)
                if code:
                    factors.append(code)
        referral.assessments.append(
            Assessment(
                _read_date(found, "AssessmentActualStartDate", problem),
                _read_date(found, "AssessmentAuthorisationDate", problem),
                tuple(factors),
            )
        )
    for name, element_name, target in (
        ("CINPlanDates", "CINPlanStartDate", referral.cin_plan_starts),
        ("Section47", "S47ActualStartDate", referral.s47_starts),
        ("ChildProtectionPlans", "CPPstartDate", referral.cp_plan_starts),
    ):
        for block in parts.get(name, ()):
            started = _read_date(_index(block), element_name, problem)
            if started is not None:
                target.append(started)
    return referral


def _factor(node: Node, problem: ProblemFn) -> str | None:
    code = _text(node).upper()
    if code in LEGACY_CONCERNS:
        successor = LEGACY_CONCERNS[code].value
        problem(
            node,
            "AssessmentFactors",
            code,
            "legacy factor code (not used from 2024-25)",
            f"read as {successor}",
        )
        return successor
    if code not in FACTORS:
        problem(node, "AssessmentFactors", code, "unknown factor code", "value left empty")
        return None
    return code


def _read_sex(ids: Parts, problem: ProblemFn) -> str | None:
    for name, codes in (("Sex", SEX), ("GenderCurrent", GENDER_CURRENT)):
        node = _first(ids, name)
        if node is not None:
            value = _text(node)
            if value.upper() in codes:
                return codes[value.upper()]
            problem(node, name, value, "unknown sex code", "value left empty")
            return None
    return None


def _read_disability(chars: Parts, problem: ProblemFn) -> str | None:
    codes = []
    for holder in chars.get("Disabilities", ()):
        for node in _index(holder).get("Disability", ()):
            value = _text(node).upper()
            if value in DISABILITY_CODES:
                codes.append(value)
            else:
                problem(node, "Disability", value, "unknown disability code", "value left empty")
    if not codes:
        return None
    return "Y" if any(code != "NONE" for code in codes) else "N"


def _read_code(parts: Parts, name: str, codes: frozenset[str], problem: ProblemFn) -> str | None:
    node = _first(parts, name)
    if node is None:
        return None
    value = _text(node)
    if value.upper() in codes:
        return value.upper()
    problem(node, name, value, f"unknown {name} code", "value left empty")
    return None


def _read_bool(parts: Parts, name: str, problem: ProblemFn) -> bool | None:
    node = _first(parts, name)
    if node is None:
        return None
    value = _text(node).lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    problem(node, name, _text(node), "unreadable boolean", "value left empty")
    return None


def _read_date(parts: Parts, name: str, problem: ProblemFn) -> date | None:
    node = _first(parts, name)
    if node is None:
        return None
    value = _text(node)
    parsed = _date(value)
    if parsed is None and value:
        problem(node, name, value, "unreadable date", "value left empty")
    return parsed


def _date(text: str) -> date | None:
    """A ``YYYY-MM-DD`` date (a trailing time is ignored), or None."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _index(element: Node) -> Parts:
    """The element's children by local name (comments and processing instructions skipped)."""
    found: Parts = {}
    if element is None:
        return found
    for node in element:
        if isinstance(node.tag, str):
            found.setdefault(node.tag.rpartition("}")[2], []).append(node)
    return found


def _first(parts: Parts, name: str) -> Node:
    nodes = parts.get(name)
    return nodes[0] if nodes else None


def _at(parts: Parts, name: str, fallback: Node) -> Node:
    """The named child if present (for its line), else ``fallback``."""
    node = _first(parts, name)
    return fallback if node is None else node


def _text(node: Node) -> str:
    return (node.text or "").strip() if node is not None else ""


def _id_of(child: Node) -> str:
    for node in child.iter("{*}LAchildID"):
        return _text(node)
    return ""
