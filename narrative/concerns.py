"""What each concern looks like in a narrative: the contract's phrase plus example phrases.

A sentence is compared with every description of every concern; a concern's similarity is its
best description's. The examples are written for this purpose (short, plain, in the words
referrers use) and are kept apart from the calibration sentences in ``narrative/data``. The
keywords serve only the keyword baseline that ``python -m narrative.calibrate`` reports against.
"""

from __future__ import annotations

from dataclasses import dataclass

from data.codes import Concern

# "Other" and "No factors identified" say nothing a sentence could be matched with.
NOT_SUGGESTED = frozenset({Concern.OTHER, Concern.NO_FACTORS})


@dataclass(frozen=True)
class ConcernText:
    """One concern's code, its plain-English phrase and the texts a sentence is compared with."""

    code: str
    phrase: str
    family: str
    descriptions: tuple[str, ...]
    keywords: tuple[str, ...]


_EXAMPLES: dict[Concern, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Concern.ALCOHOL_CHILD: (
        (
            "The teenager was drunk.",
            "The young person is drinking alcohol and was found intoxicated.",
            "The child smelt of alcohol and had been drinking cider in the park.",
        ),
        ("drunk", "alcohol", "cider", "vodka", "intoxicated"),
    ),
    Concern.ALCOHOL_PARENT: (
        (
            "Mum was drunk while looking after the children.",
            "The father drinks heavily every day and is intoxicated when caring for the baby.",
            "The parent smelt strongly of alcohol at school pick-up.",
        ),
        ("drunk", "drinking", "alcohol", "intoxicated", "beer", "wine", "vodka"),
    ),
    Concern.ALCOHOL_OTHER: (
        (
            "Mum's partner is often drunk in the home.",
            "The grandfather who lives with them drinks heavily.",
            "An adult lodger in the household is frequently intoxicated.",
        ),
        ("drunk", "drinking", "alcohol", "intoxicated", "partner", "lodger"),
    ),
    Concern.DRUGS_CHILD: (
        (
            "The young person is using cannabis.",
            "The child has been taking drugs and was found with pills.",
            "The teenager smokes weed every day.",
        ),
        ("cannabis", "weed", "drugs", "pills", "ketamine", "smoking"),
    ),
    Concern.DRUGS_PARENT: (
        (
            "Mum is using heroin.",
            "The parents take drugs at home with the children present.",
            "Drug paraphernalia belonging to the father was found in the house.",
            "The carer appeared high on drugs.",
        ),
        ("heroin", "cocaine", "crack", "drugs", "needles", "foil", "paraphernalia", "high"),
    ),
    Concern.DRUGS_OTHER: (
        (
            "Mum's boyfriend deals and takes drugs at the address.",
            "An older sibling who lives at home uses drugs in the house.",
            "Adults visiting the flat smoke cannabis there.",
        ),
        ("drugs", "dealing", "cannabis", "boyfriend", "sibling", "visitors"),
    ),
    Concern.DOMESTIC_ABUSE_CHILD: (
        (
            "The child was hurt during a fight between the adults.",
            "The child witnessed the violence at home and was caught up in it.",
            "The young person is being controlled and hit by their boyfriend.",
        ),
        ("witnessed", "relationship", "boyfriend", "girlfriend", "controlling", "fight"),
    ),
    Concern.DOMESTIC_ABUSE_PARENT: (
        (
            "Mum is a victim of domestic abuse by her partner.",
            "The father hit the mother.",
            "Police were called to a domestic incident where the mother was assaulted.",
            "Mum's ex-partner threatens and controls her.",
        ),
        ("domestic", "assaulted", "partner", "hit", "violence", "controlling", "strangled"),
    ),
    Concern.DOMESTIC_ABUSE_OTHER: (
        (
            "The aunt who lives with the family is being abused by her husband.",
            "The grandmother in the household is a victim of domestic violence.",
            "An adult sibling at home is being beaten by her partner.",
        ),
        ("domestic", "aunt", "grandmother", "sister", "abused", "violence"),
    ),
    Concern.MENTAL_HEALTH_CHILD: (
        (
            "The child is anxious and depressed.",
            "The young person has been struggling with their mental health.",
            "The pupil has panic attacks and talks about feeling hopeless.",
        ),
        ("anxious", "anxiety", "depressed", "depression", "mental", "panic", "low mood"),
    ),
    Concern.MENTAL_HEALTH_PARENT: (
        (
            "Mum has severe depression.",
            "The father's mental health has deteriorated and he is paranoid.",
            "The parent has postnatal depression and is struggling to cope.",
            "The mother was detained under the Mental Health Act.",
        ),
        ("depression", "mental", "psychosis", "paranoid", "postnatal", "sectioned", "bipolar"),
    ),
    Concern.MENTAL_HEALTH_OTHER: (
        (
            "The older brother at home has psychosis.",
            "A relative living in the household has serious mental illness.",
            "Mum's partner's mental health is very poor.",
        ),
        ("mental", "psychosis", "brother", "relative", "schizophrenia"),
    ),
    Concern.LEARNING_DISABILITY_CHILD: (
        (
            "The child has a learning disability.",
            "The young person has significant learning difficulties and needs support.",
            "The child has a global developmental delay.",
        ),
        ("learning disability", "learning difficulties", "developmental delay", "ehcp", "send"),
    ),
    Concern.LEARNING_DISABILITY_PARENT: (
        (
            "Mum has a learning disability.",
            "The father has learning difficulties and struggles to understand the baby's needs.",
            "The parent cannot read and needs help understanding information.",
        ),
        ("learning disability", "learning difficulties", "understand", "read"),
    ),
    Concern.LEARNING_DISABILITY_OTHER: (
        (
            "The uncle who lives with them has a learning disability.",
            "An adult sibling in the home has learning difficulties.",
        ),
        ("learning disability", "learning difficulties", "uncle", "sibling"),
    ),
    Concern.PHYSICAL_DISABILITY_CHILD: (
        (
            "The child has a serious illness.",
            "The child is a wheelchair user with complex medical needs.",
            "The young person has a long-term health condition that is not managed.",
        ),
        ("illness", "wheelchair", "medical", "condition", "diabetes", "epilepsy"),
    ),
    Concern.PHYSICAL_DISABILITY_PARENT: (
        (
            "Mum is seriously ill.",
            "The father has a physical disability and cannot care for the children.",
            "The parent is undergoing cancer treatment.",
        ),
        ("ill", "illness", "disability", "cancer", "wheelchair", "treatment"),
    ),
    Concern.PHYSICAL_DISABILITY_OTHER: (
        (
            "The grandmother who lives with them is very ill.",
            "A sibling at home has a severe physical disability.",
        ),
        ("ill", "illness", "disability", "grandmother", "sibling"),
    ),
    Concern.YOUNG_CARER: (
        (
            "The child is a young carer.",
            "The child looks after their ill parent and does the cooking and cleaning.",
            "The child cares for younger siblings instead of going to school.",
        ),
        ("carer", "cares for", "looks after", "caring"),
    ),
    Concern.PRIVATE_FOSTERING_8B: (
        (
            "A child from overseas is staying with a family friend and will return home.",
            "The child came from abroad to live with non-relatives for a while.",
        ),
        ("overseas", "abroad", "friend", "return", "staying"),
    ),
    Concern.PRIVATE_FOSTERING_8C: (
        (
            "A child from overseas is living with an unrelated family and intends to stay.",
            "The child was sent from abroad to live permanently with family friends.",
        ),
        ("overseas", "abroad", "friend", "permanently", "living with"),
    ),
    Concern.PRIVATE_FOSTERING_8D: (
        (
            "The child lives with a non-relative so they can attend school here.",
            "The pupil boards with a host family to attend a school away from home.",
        ),
        ("host family", "boarding", "non-relative", "attend school", "lodging"),
    ),
    Concern.PRIVATE_FOSTERING_8E: (
        (
            "After falling out with their parents the child is living with a friend's family.",
            "The young person has moved in with a family friend because of arguments at home.",
        ),
        ("friend's family", "fell out", "moved in", "sofa", "staying with"),
    ),
    Concern.PRIVATE_FOSTERING_8F: (
        (
            "The child is being privately fostered.",
            "The child has been living with someone who is not a close relative for weeks.",
        ),
        ("privately fostered", "private fostering", "not a relative", "family friend"),
    ),
    Concern.UNACCOMPANIED_ASYLUM: (
        (
            "The child arrived in the country alone and is seeking asylum.",
            "An unaccompanied young person with no adult has claimed asylum.",
        ),
        ("asylum", "unaccompanied", "arrived", "lorry", "alone", "refugee"),
    ),
    Concern.MISSING: (
        (
            "The child went missing.",
            "The young person has been missing from home overnight.",
            "The child keeps running away and is not found for days.",
        ),
        ("missing", "ran away", "run away", "whereabouts", "not returned"),
    ),
    Concern.SEXUAL_EXPLOITATION: (
        (
            "The girl is being sexually exploited by older men.",
            "The young person is given gifts and alcohol by adults in exchange for sex.",
            "The child is being groomed online for sexual purposes.",
            "Her older boyfriend picks her up in his car and gives her money and a phone.",
            "The teenager is taken to parties and flats by adult men who give her drink and drugs.",
        ),
        ("older men", "groomed", "exploited", "gifts", "sexual", "sex"),
    ),
    Concern.TRAFFICKING: (
        (
            "The child may have been trafficked.",
            "The young person was brought into the country and is being made to work.",
            "The child's documents are held by an adult who controls them.",
            "The child is not allowed to speak for herself and an unrelated adult answers for her.",
            "Children are working long hours for an adult and are not paid or allowed to leave.",
        ),
        ("trafficked", "trafficking", "documents", "passport", "work", "brought"),
    ),
    Concern.GANGS: (
        (
            "The young person is involved with a gang.",
            "The teenager is associating with gang members and carries a knife.",
        ),
        ("gang", "knife", "weapon", "postcode", "rival"),
    ),
    Concern.SOCIALLY_UNACCEPTABLE: (
        (
            "The child's behaviour is antisocial.",
            "The young person has been causing damage and harassing neighbours.",
            "The child is violent and abusive towards others in the community.",
        ),
        ("antisocial", "anti-social", "damage", "vandalism", "abusive", "shoplifting"),
    ),
    Concern.SELF_HARM: (
        (
            "The child is self-harming.",
            "The young person has been cutting their arms.",
            "The pupil took an overdose and spoke of wanting to die.",
            "She has cuts and scars on her arms and legs that she hides.",
        ),
        ("self-harm", "self harm", "cutting", "overdose", "suicidal", "kill"),
    ),
    Concern.NEGLECT: (
        (
            "The children are neglected.",
            "The child is hungry, dirty and dressed inappropriately for the weather.",
            "The home is filthy with no food and the baby's needs are not met.",
            "The child's medical appointments are repeatedly missed.",
        ),
        ("hungry", "dirty", "unkempt", "food", "smell", "filthy", "neglect", "alone"),
    ),
    Concern.EMOTIONAL_ABUSE: (
        (
            "The child is emotionally abused.",
            "The parent constantly belittles and shouts at the child.",
            "The child is told they are worthless and unwanted.",
        ),
        ("shouts", "belittles", "worthless", "screaming", "humiliated", "names"),
    ),
    Concern.PHYSICAL_ABUSE_CHILD_ON_CHILD: (
        (
            "The child was assaulted by another child.",
            "The pupil was beaten up by older children.",
            "An older sibling hits the younger child.",
        ),
        ("assaulted", "beaten", "punched", "kicked", "pupils", "sibling", "bullied"),
    ),
    Concern.PHYSICAL_ABUSE_ADULT_ON_CHILD: (
        (
            "The child was hit by an adult.",
            "The child has unexplained bruises and says dad hit them.",
            "The baby has an injury that the parents cannot explain.",
        ),
        ("bruise", "bruises", "hit", "injury", "slapped", "belt", "mark", "fracture"),
    ),
    Concern.SEXUAL_ABUSE_CHILD_ON_CHILD: (
        (
            "The child was sexually assaulted by another child.",
            "An older pupil touched the child sexually.",
            "Sexual images of the child were shared by classmates.",
        ),
        ("touched", "sexual", "images", "pupil", "classmate", "nudes"),
    ),
    Concern.SEXUAL_ABUSE_ADULT_ON_CHILD: (
        (
            "The child was sexually abused by an adult.",
            "The child disclosed that a man touched them inappropriately.",
            "An adult has been sending the child sexual messages.",
        ),
        ("touched", "sexual", "abused", "inappropriately", "private parts"),
    ),
    Concern.FGM: (
        (
            "The girl is at risk of female genital mutilation.",
            "The family plan to take the girl abroad to be cut.",
        ),
        ("fgm", "cut", "cutting", "circumcision", "mutilation", "ceremony"),
    ),
    Concern.FAITH_ABUSE: (
        (
            "The child is accused of witchcraft.",
            "The family believe the child is possessed and have taken them for an exorcism.",
        ),
        ("witch", "witchcraft", "possessed", "spirit", "exorcism", "pastor", "evil"),
    ),
    Concern.CRIMINAL_EXPLOITATION: (
        (
            "The young person is being exploited to sell drugs.",
            "The child is going county lines.",
            "The teenager is being made to carry drugs and money for older boys.",
        ),
        ("county lines", "drugs", "money", "phone", "running", "exploited", "debt"),
    ),
}


def _family(label: str) -> str:
    return label.split(":")[0].strip()


def _build() -> tuple[ConcernText, ...]:
    rows = []
    for concern in Concern:
        if concern in NOT_SUGGESTED:
            continue
        examples, keywords = _EXAMPLES[concern]
        rows.append(
            ConcernText(
                code=concern.value,
                phrase=concern.phrase,
                family=_family(concern.label),
                descriptions=(concern.phrase, *examples),
                keywords=keywords,
            )
        )
    return tuple(rows)


CONCERNS: tuple[ConcernText, ...] = _build()
BY_CODE: dict[str, ConcernText] = {concern.code: concern for concern in CONCERNS}
