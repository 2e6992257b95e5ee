"""Census XML written by the tests: a return around children, a child around episodes."""

from __future__ import annotations

from pathlib import Path


def census_return(
    path: Path,
    children: list[str],
    *,
    reference: str = "2024-03-31",
    lea: str = "201",
    namespace: str | None = None,
) -> Path:
    """Write a return with the given ``<Child>`` blocks; return its path."""
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n<Message{xmlns}>\n<Header>\n'
        f"<CollectionDetails><Collection>CIN</Collection><Year>{reference[:4]}</Year>"
        f"<ReferenceDate>{reference}</ReferenceDate></CollectionDetails>\n"
        f"<Source><SourceLevel>L</SourceLevel><LEA>{lea}</LEA></Source>\n</Header>\n"
        "<Children>\n" + "\n".join(children) + "\n</Children>\n</Message>\n",
        encoding="utf-8",
    )
    return path


def child(
    child_id: str,
    *episodes: str,
    born: str | None = "2015-06-01",
    sex: str = "<GenderCurrent>2</GenderCurrent>",
    ethnicity: str = "WBRI",
    disabilities: tuple[str, ...] = ("NONE",),
    expected: str | None = None,
    extra: str = "",
) -> str:
    """One ``<Child>`` block."""
    ids = f"<LAchildID>{child_id}</LAchildID>"
    ids += f"<PersonBirthDate>{born}</PersonBirthDate>" if born else ""
    ids += f"<ExpectedPersonBirthDate>{expected}</ExpectedPersonBirthDate>" if expected else ""
    ids += sex
    dis = "".join(f"<Disability>{d}</Disability>" for d in disabilities)
    dis = f"<Disabilities>{dis}</Disabilities>" if disabilities else ""
    return (
        f"<Child>\n<ChildIdentifiers>{ids}</ChildIdentifiers>\n"
        f"<ChildCharacteristics><Ethnicity>{ethnicity}</Ethnicity>{dis}</ChildCharacteristics>\n"
        + extra
        + "\n".join(episodes)
        + "\n</Child>"
    )


def episode(
    referral: str,
    *,
    source: str | None = "2A",
    nfa: str | None = "0",
    closure: str | None = None,
    assessment: tuple[str, str | None, tuple[str, ...]] | None = None,
    cin_plan: str | None = None,
    s47: str | None = None,
    cp_plan: str | None = None,
    extra: str = "",
) -> str:
    """One ``<CINdetails>`` block."""
    out = f"<CINdetails>\n<CINreferralDate>{referral}</CINreferralDate>\n"
    out += f"<ReferralSource>{source}</ReferralSource>\n" if source is not None else ""
    out += f"<CINclosureDate>{closure}</CINclosureDate>\n" if closure else ""
    out += f"<ReferralNFA>{nfa}</ReferralNFA>\n" if nfa is not None else ""
    if assessment:
        start, authorised, factors = assessment
        out += f"<Assessments><AssessmentActualStartDate>{start}</AssessmentActualStartDate>"
        if authorised:
            out += f"<AssessmentAuthorisationDate>{authorised}</AssessmentAuthorisationDate>"
        out += "<FactorsIdentifiedAtAssessment>"
        out += "".join(f"<AssessmentFactors>{f}</AssessmentFactors>" for f in factors)
        out += "</FactorsIdentifiedAtAssessment></Assessments>\n"
    if cin_plan:
        out += f"<CINPlanDates><CINPlanStartDate>{cin_plan}</CINPlanStartDate></CINPlanDates>\n"
    if s47:
        out += f"<Section47><S47ActualStartDate>{s47}</S47ActualStartDate></Section47>\n"
    if cp_plan:
        out += (
            f"<ChildProtectionPlans><CPPstartDate>{cp_plan}</CPPstartDate></ChildProtectionPlans>\n"
        )
    return out + extra + "</CINdetails>"
