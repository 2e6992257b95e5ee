"""The contract's code lists as enums carrying their CIN census labels.

Source: docs/contract/contact-record.md (DfE Children in Need census items N00152, N00181
and the census ethnicity codes). Each concern also carries a plain-English phrase that the
explanations use ("domestic abuse where a parent is the subject").
"""

from __future__ import annotations

from enum import StrEnum


class _LabelledCode(StrEnum):
    """A code whose value is the CIN code and which carries a human label."""

    label: str
    phrase: str

    # ``label`` defaults only so that a lookup by code (``Concern("1A")``) type-checks; Enum
    # looks members up by value and never calls this with one argument.
    def __new__(cls, code: str, label: str = "", phrase: str | None = None) -> _LabelledCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        member.phrase = phrase or label
        return member


class ReferralSource(_LabelledCode):
    """Who made the contact (CIN item N00152)."""

    FAMILY = "1A", "Individual – family member, relative or carer", "a family member or carer"
    ACQUAINTANCE = (
        "1B",
        "Individual – acquaintance (incl. neighbours, child minders)",
        ("an acquaintance or neighbour"),
    )
    SELF = "1C", "Individual – self", "the child themself"
    INDIVIDUAL_OTHER = "1D", "Individual – other", "another individual"
    SCHOOLS = "2A", "Schools", "a school"
    EDUCATION_SERVICES = "2B", "Education services", "education services"
    HEALTH_GP = "3A", "Health services – GP", "a GP"
    HEALTH_VISITOR = "3B", "Health services – health visitor", "a health visitor"
    SCHOOL_NURSE = "3C", "Health services – school nurse", "a school nurse"
    PRIMARY_HEALTH_OTHER = (
        "3D",
        "Health services – other primary health services",
        ("another primary health service"),
    )
    A_AND_E = "3E", "Health services – A&E", "A&E"
    HEALTH_OTHER = "3F", "Health services – other", "another health service"
    HOUSING = "4", "Housing", "housing"
    LA_SOCIAL_CARE = "5A", "LA services – social care", "LA social care"
    LA_OTHER_INTERNAL = "5B", "LA services – other internal", "another LA service"
    LA_EXTERNAL = "5C", "LA services – external (another LA)", "another local authority"
    LA_EARLY_HELP = "5D", "LA services – early help", "early help"
    POLICE = "6", "Police", "the police"
    LEGAL_AGENCY = (
        "7",
        "Other legal agency (courts, probation, immigration, CAFCASS, prison)",
        ("a legal agency"),
    )
    OTHER = "8", "Other (children's centres, voluntary organisations)", "another organisation"
    ANONYMOUS = "9", "Anonymous", "an anonymous caller"
    UNKNOWN = "10", "Unknown", "an unknown source"


class Concern(_LabelledCode):
    """Assessment factors (CIN item N00181) used for concerns reported at contact."""

    ALCOHOL_CHILD = "1A", "Alcohol misuse: concerns about the child", "alcohol misuse by the child"
    ALCOHOL_PARENT = (
        "1B",
        "Alcohol misuse: concerns about the parent or carer",
        ("alcohol misuse by a parent or carer"),
    )
    ALCOHOL_OTHER = (
        "1C",
        "Alcohol misuse: concerns about another person in the household",
        ("alcohol misuse by someone else in the household"),
    )
    DRUGS_CHILD = "2A", "Drug misuse: concerns about the child", "drug misuse by the child"
    DRUGS_PARENT = (
        "2B",
        "Drug misuse: concerns about the parent or carer",
        ("drug misuse by a parent or carer"),
    )
    DRUGS_OTHER = (
        "2C",
        "Drug misuse: concerns about another person in the household",
        ("drug misuse by someone else in the household"),
    )
    DOMESTIC_ABUSE_CHILD = (
        "3A",
        "Domestic abuse: concerns about the child being the subject",
        ("domestic abuse with the child as the subject"),
    )
    DOMESTIC_ABUSE_PARENT = (
        "3B",
        "Domestic abuse: concerns about the parent being the subject",
        ("domestic abuse with a parent as the subject"),
    )
    DOMESTIC_ABUSE_OTHER = (
        "3C",
        "Domestic abuse: concerns about another person in the household",
        ("domestic abuse with someone else in the household as the subject"),
    )
    MENTAL_HEALTH_CHILD = (
        "4A",
        "Mental health: concerns about the child",
        ("the child's mental health"),
    )
    MENTAL_HEALTH_PARENT = (
        "4B",
        "Mental health: concerns about the parent or carer",
        ("a parent's or carer's mental health"),
    )
    MENTAL_HEALTH_OTHER = (
        "4C",
        "Mental health: concerns about another person in the household",
        ("the mental health of someone else in the household"),
    )
    LEARNING_DISABILITY_CHILD = (
        "5A",
        "Learning disability: concerns about the child",
        ("the child's learning disability"),
    )
    LEARNING_DISABILITY_PARENT = (
        "5B",
        "Learning disability: concerns about the parent or carer",
        ("a parent's or carer's learning disability"),
    )
    LEARNING_DISABILITY_OTHER = (
        "5C",
        ("Learning disability: concerns about another person in the household"),
        "the learning disability of someone else in the household",
    )
    PHYSICAL_DISABILITY_CHILD = (
        "6A",
        "Physical disability or illness: concerns about the child",
        ("the child's physical disability or illness"),
    )
    PHYSICAL_DISABILITY_PARENT = (
        "6B",
        ("Physical disability or illness: concerns about the parent or carer"),
        "a parent's or carer's physical disability or illness",
    )
    PHYSICAL_DISABILITY_OTHER = (
        "6C",
        ("Physical disability or illness: concerns about another person in the household"),
        "the physical disability or illness of someone else in the household",
    )
    YOUNG_CARER = "7A", "Young carer", "the child being a young carer"
    PRIVATE_FOSTERING_8B = (
        "8B",
        "Privately fostered: overseas child, intending to return",
        ("private fostering (a child from overseas intending to return)"),
    )
    PRIVATE_FOSTERING_8C = (
        "8C",
        "Privately fostered: overseas child, intending to stay",
        ("private fostering (a child from overseas intending to stay)"),
    )
    PRIVATE_FOSTERING_8D = (
        "8D",
        "Privately fostered: UK child in educational placement",
        ("private fostering for education"),
    )
    PRIVATE_FOSTERING_8E = (
        "8E",
        "Privately fostered: UK child, family relationship difficulties",
        ("private fostering after family relationship difficulties"),
    )
    PRIVATE_FOSTERING_8F = "8F", "Privately fostered: other", "private fostering"
    UNACCOMPANIED_ASYLUM = (
        "9A",
        "Unaccompanied asylum-seeking child",
        ("the child being an unaccompanied asylum seeker"),
    )
    MISSING = "10A", "Missing", "the child going missing"
    SEXUAL_EXPLOITATION = "11A", "Child sexual exploitation", "child sexual exploitation"
    TRAFFICKING = "12A", "Trafficking", "trafficking"
    GANGS = "13A", "Gangs", "gang involvement"
    SOCIALLY_UNACCEPTABLE = (
        "14A",
        "Socially unacceptable behaviour",
        ("socially unacceptable behaviour"),
    )
    SELF_HARM = "15A", "Self-harm", "self-harm"
    NEGLECT = "16A", "Neglect", "neglect"
    EMOTIONAL_ABUSE = "17A", "Emotional abuse", "emotional abuse"
    PHYSICAL_ABUSE_CHILD_ON_CHILD = (
        "18B",
        "Physical abuse: child on child",
        ("physical abuse by another child"),
    )
    PHYSICAL_ABUSE_ADULT_ON_CHILD = (
        "18C",
        "Physical abuse: adult on child",
        ("physical abuse by an adult"),
    )
    SEXUAL_ABUSE_CHILD_ON_CHILD = (
        "19B",
        "Sexual abuse: child on child",
        ("sexual abuse by another child"),
    )
    SEXUAL_ABUSE_ADULT_ON_CHILD = "19C", "Sexual abuse: adult on child", "sexual abuse by an adult"
    OTHER = "20", "Other", "another concern"
    NO_FACTORS = "21", "No factors identified", "no specific factors"
    FGM = "22A", "Female genital mutilation", "female genital mutilation"
    FAITH_ABUSE = "23A", "Abuse linked to faith or belief", "abuse linked to faith or belief"
    CRIMINAL_EXPLOITATION = "24A", "Child criminal exploitation", "child criminal exploitation"


# Legacy codes accepted on input and read as their successors, with a warning.
LEGACY_CONCERNS: dict[str, Concern] = {
    "18A": Concern.PHYSICAL_ABUSE_ADULT_ON_CHILD,
    "19A": Concern.SEXUAL_ABUSE_ADULT_ON_CHILD,
}


class Ethnicity(_LabelledCode):
    """CIN census ethnicity codes."""

    WBRI = "WBRI", "White British"
    WIRI = "WIRI", "White Irish"
    WIRT = "WIRT", "Traveller of Irish heritage"
    WOTH = "WOTH", "Any other White background"
    WROM = "WROM", "Gypsy/Roma"
    MWBC = "MWBC", "White and Black Caribbean"
    MWBA = "MWBA", "White and Black African"
    MWAS = "MWAS", "White and Asian"
    MOTH = "MOTH", "Any other mixed background"
    AIND = "AIND", "Indian"
    APKN = "APKN", "Pakistani"
    ABAN = "ABAN", "Bangladeshi"
    AOTH = "AOTH", "Any other Asian background"
    BCRB = "BCRB", "Black Caribbean"
    BAFR = "BAFR", "Black African"
    BOTH = "BOTH", "Any other Black background"
    CHNE = "CHNE", "Chinese"
    OOTH = "OOTH", "Any other ethnic group"
    REFU = "REFU", "Refused"
    NOBT = "NOBT", "Information not yet obtained"

    @property
    def major_group(self) -> str:
        """The census major group audits report by."""
        if self.value in ("CHNE", "OOTH"):
            return "Other"
        if self.value in ("REFU", "NOBT"):
            return "Not known"
        return {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black"}[self.value[0]]


class Sex(_LabelledCode):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class Disability(_LabelledCode):
    YES = "Y", "Disabled"
    NO = "N", "Not disabled"
    UNKNOWN = "U", "Unknown"


class Decision(_LabelledCode):
    """Front-door decisions in a historical extract and in the service."""

    NFA = "nfa", "No further action"
    SIGNPOST = "signpost", "Signposted to another service"
    MORE_INFORMATION = "more_information", "Sent back to the referrer for more information"
    EARLY_HELP = "early_help", "Early help"
    ASSESSMENT = "assessment", "Assessment"
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"


class Reason(StrEnum):
    """Why a decision was taken (the contract's reason codes)."""

    NO_CONCERNS_IDENTIFIED = "no_concerns_identified"
    CONCERNS_NOT_SUBSTANTIATED = "concerns_not_substantiated"
    ALREADY_SUPPORTED = "already_supported"  # another agency or an open case
    INSUFFICIENT_INFORMATION = "insufficient_information"
    CHILD_AGE = "child_age"
    REFERRAL_SOURCE = "referral_source"
    OTHER = "other"


class LateReason(_LabelledCode):
    """Why a decision or an assessment was recorded after its due day (docs/timeliness.md)."""

    NO_ACCESS_TO_CHILD = "no_access_to_child", "Could not see the child"
    FAMILY_DECLINED = "family_declined", "The family declined to take part"
    FAMILY_NOT_AT_HOME = "family_not_at_home", "The family was not at home"
    AWAITING_INFORMATION_FROM_AGENCY = (
        "awaiting_information_from_agency",
        "Waiting for information from another agency",
    )
    WORKER_ABSENCE = "worker_absence", "The allocated worker was absent"
    TEAM_CAPACITY = "team_capacity", "The team did not have capacity"
    INTERPRETER_OR_SPECIALIST_NEEDED = (
        "interpreter_or_specialist_needed",
        "An interpreter or a specialist was needed",
    )
    HOLIDAY_PERIOD = "holiday_period", "A holiday period"
    COMPLEXITY_NEEDS_MORE_TIME = "complexity_needs_more_time", "The case needed more time"
    OTHER = "other", "Another reason (say which in the note)"


class AssessmentOutcome(_LabelledCode):
    """What an assessment concluded."""

    NFA = "nfa", "No further action"
    EARLY_HELP = "early_help", "Early help"
    CHILD_IN_NEED_PLAN = "child_in_need_plan", "Child in need plan"
    CHILD_PROTECTION_ENQUIRY = "child_protection_enquiry", "Child protection (section 47) enquiry"
    LOOKED_AFTER = "looked_after", "Looked after"


# Assessment outcomes that record the child as in need (``outcome_need_12m`` true).
NEED_OUTCOMES = frozenset(
    {
        AssessmentOutcome.CHILD_IN_NEED_PLAN,
        AssessmentOutcome.CHILD_PROTECTION_ENQUIRY,
        AssessmentOutcome.LOOKED_AFTER,
    }
)


# Decisions after which the outcome is always observed: the child was seen by services.
ACTED_ON = frozenset({Decision.EARLY_HELP, Decision.ASSESSMENT, Decision.STRATEGY_DISCUSSION})
# Decisions that compare with escalation in audits.
ESCALATIONS = frozenset({Decision.ASSESSMENT, Decision.STRATEGY_DISCUSSION})

# Age bands used by explanations, audits and reports (years, inclusive).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0", 0, 0),
    ("1-4", 1, 4),
    ("5-9", 5, 9),
    ("10-12", 10, 12),
    ("13-15", 13, 15),
    ("16-17", 16, 17),
)


def age_band(age: int) -> str:
    """Return the age band label for an age in years (0-17)."""
    for label, low, high in AGE_BANDS:
        if low <= age <= high:
            return label
    raise ValueError(f"age {age} is outside 0-17")
