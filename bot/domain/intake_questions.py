"""The complaint form's questions, in order (navigation and the draft: bot/domain/intake.py)."""

from __future__ import annotations

from bot.domain.consent import CONSENT_TEXTS, CONSENT_VERSION
from bot.domain.form import Kind, Option, Question, child_reporter, reporter_is_victim
from bot.domain.form import kid_opts as _kid_opts
from bot.domain.form import opts as _opts
from bot.domain.i18n_marker import N_
from bot.domain.simfoni import PLACES, UNKNOWN

__all__ = ["PARENT_RELATIONS", "QUESTIONS"]


# Relations in which the reported party is the victim's parent or guardian: consent for a
# child victim must then not go through that person (see docs/SECURITY.md).
PARENT_RELATIONS = frozenset({"parent", "step_parent", "guardian"})

QUESTIONS: tuple[Question, ...] = (
    Question(
        "danger",
        N_("First, is anyone in immediate danger right now?"),
        Kind.CHOICE,
        N_("Immediate danger"),
        _opts(("yes", N_("Yes, in danger now")), ("no", N_("No"))),
    ),
    Question(
        "channel",
        N_("How did this complaint reach you?"),
        Kind.CHOICE,
        N_("Channel"),
        _opts(
            ("phone", N_("Phone call")),
            ("whatsapp", N_("WhatsApp")),
            ("walk_in", N_("In person (walk-in)")),
        ),
        modes=frozenset({"staff"}),
    ),
    Question(
        "office",
        N_("Where did it happen? Choose the city or regency of the unit that should help."),
        Kind.OFFICE,
        N_("Unit"),
    ),
    # the urgent path: asked at once when someone is in danger now, sent to the on-call staff
    Question(
        "urgent_where",
        N_(
            "Where is the person in danger now? Share the location (📎 then Location), or write "
            "the address or a landmark."
        ),
        Kind.LOCATION,
        N_("Where she is now"),
        skip=Option("", N_("I can't say")),
        asked_if=lambda a: a.get("danger") == "yes",
    ),
    Question(
        "urgent_contact",
        N_(
            "How can the unit reach her safely? A phone number, who to ask for, or when it "
            "is safe to call."
        ),
        Kind.TEXT,
        N_("How to reach her safely"),
        skip=Option("", N_("Only through this chat")),
        asked_if=lambda a: a.get("danger") == "yes",
    ),
    Question(
        "reporter",
        N_("Who is reporting?"),
        Kind.CHOICE,
        N_("Reporter"),
        _opts(
            ("victim", N_("I am the victim")),
            ("family", N_("Family of the victim")),
            ("other", N_("Someone else (neighbour, teacher, friend)")),
        ),
    ),
    Question(
        "reporter_age",
        N_(
            "How old are you? Write your age (for example 15). This helps us talk with you "
            "in the right way. You can skip it."
        ),
        Kind.AGE,
        N_("Your age"),
        skip=Option("", N_("I'd rather not say")),
        modes=frozenset({"reporter"}),
    ),
    Question(
        "victim_name",
        N_("What is the victim's name? Initials are fine, or press Anonymous."),
        Kind.TEXT,
        N_("Victim's name"),
        skip=Option("", N_("Anonymous")),
        max_len=100,
        child_prompt=N_("What is the name of the person who was hurt? A nickname is fine."),
        self_prompt=N_("What is your name? Initials are fine, or press Anonymous."),
        child_self_prompt=N_("What is your name? Your nickname is fine. Or press Anonymous."),
    ),
    Question(
        "victim_age",
        N_(
            "How old is the victim? Write the age (for example 14) or the date of birth "
            "(for example 17-08-2010)."
        ),
        Kind.AGE,
        N_("Victim's age"),
        skip=Option("", N_("I don't know")),
        # the reporter who is the victim already said her age
        asked_if=lambda a: not (reporter_is_victim(a) and isinstance(a.get("reporter_age"), int)),
        child_prompt=N_("How old is the person who was hurt? For example 12."),
        self_prompt=N_("How old are you? Write your age (for example 30)."),
    ),
    Question(
        "victim_sex",
        N_("The victim is:"),
        Kind.CHOICE,
        N_("Sex"),
        _opts(("female", N_("Female")), ("male", N_("Male")), ("unknown", N_("Rather not say"))),
        self_prompt=N_("You are:"),
        child_self_prompt=N_("You are a:"),
        child_prompt=N_("The person who was hurt is a:"),
    ),
    Question(
        "disability",
        N_("Does the victim have a disability or special needs?"),
        Kind.CHOICE,
        N_("Disability / special needs"),
        _opts(("no", N_("No")), ("yes", N_("Yes")), ("unknown", N_("I don't know"))),
        self_prompt=N_("Do you have a disability or special needs?"),
        child_self_prompt=N_("Do you need special help, for example to see, hear, walk or learn?"),
        child_prompt=N_(
            "Does that person need special help, for example to see, hear, walk or learn?"
        ),
    ),
    Question(
        "violence",
        N_("What kind of violence happened? Choose all that apply, then press Done."),
        Kind.MULTI,
        N_("Type of violence"),
        _kid_opts(
            ("physical", N_("Physical"), N_("Hitting, kicking, pinching (physical)")),
            (
                "psychological",
                N_("Psychological"),
                N_("Yelling, threats, insults (psychological)"),
            ),
            (
                "sexual",
                N_("Sexual"),
                N_("Touching private parts, forced sex (sexual)"),
            ),
            ("neglect", N_("Neglect"), N_("Not fed or not cared for (neglect)")),
            (
                "exploitation",
                N_("Exploitation"),
                N_("Made to work or beg for someone (exploitation)"),
            ),
            (
                "trafficking",
                N_("Trafficking"),
                N_("Taken away and sold or made to work far away (trafficking)"),
            ),
            ("other", N_("Other"), N_("Something else")),
        ),
        child_prompt=N_("What happened? Choose everything that fits, then press Done."),
    ),
    Question(
        "relation",
        N_("Who did it? Choose their relation to the victim."),
        Kind.CHOICE,
        N_("Relation of the reported party"),
        _opts(
            ("parent", N_("Parent")),
            ("step_parent", N_("Step-parent")),
            ("guardian", N_("Guardian")),
            ("spouse", N_("Husband / wife")),
            ("partner", N_("Boyfriend / girlfriend / ex")),
            ("relative", N_("Other family member")),
            ("neighbour", N_("Neighbour")),
            ("teacher", N_("Teacher")),
            ("caregiver", N_("Caregiver")),
            ("employer", N_("Employer")),
            ("coworker", N_("Co-worker")),
            ("stranger", N_("Stranger")),
            ("other", N_("Someone else")),
            ("unknown", N_("I don't know")),
        ),
        self_prompt=N_("Who did it? Choose their relation to you."),
        child_self_prompt=N_("Who hurt you?"),
        child_prompt=N_("Who hurt them?"),
    ),
    Question(
        "perpetrator_sex",
        N_("The person who did it is:"),
        Kind.CHOICE,
        N_("Sex of the reported party"),
        _opts(("male", N_("A man or boy")), ("female", N_("A woman or girl"))),
        skip=Option("unknown", N_("I don't know")),
        child_self_prompt=N_("The person who hurt you is:"),
    ),
    Question(
        "perpetrator",
        N_("The name or a description of the reported party (optional)."),
        Kind.TEXT,
        N_("Reported party"),
        skip=Option("", N_("Skip")),
        max_len=200,
        child_self_prompt=N_(
            "The name of the person who hurt you, or what they look like. You can skip."
        ),
    ),
    Question(
        "when",
        N_("When did it happen? Write the date (for example 17-08-2025) or press a button."),
        Kind.DATE,
        N_("When"),
        _opts(
            ("today", N_("Today")),
            ("yesterday", N_("Yesterday")),
            ("ongoing", N_("It keeps happening")),
        ),
        skip=Option("", N_("I don't remember")),
    ),
    Question(
        "place",
        N_("What kind of place did it happen in?"),
        Kind.CHOICE,
        N_("Kind of place"),
        tuple(Option(t.code, t.label) for t in PLACES if t.code != UNKNOWN),
        skip=Option(UNKNOWN, N_("I don't know")),
        child_prompt=N_("Where did it happen?"),
    ),
    Question(
        "where",
        N_("Where did it happen? (for example: at home, school, the village or street name)"),
        Kind.TEXT,
        N_("Where"),
        skip=Option("", N_("Skip")),
        max_len=300,
        child_prompt=N_(
            "Where exactly? For example the name of the village or street. You can skip."
        ),
    ),
    Question(
        "story",
        N_("Please tell what happened, in your own words. Take your time."),
        Kind.TEXT,
        N_("What happened"),
        max_len=3500,
        min_len=10,
        child_prompt=N_(
            "Tell us what happened, in your own words. Take your time. It is not your fault."
        ),
    ),
    Question(
        "evidence",
        N_(
            "If you have evidence (photos, documents, voice notes), send it now. "
            "When finished, or if there is none, press Done."
        ),
        Kind.EVIDENCE,
        N_("Evidence"),
        child_prompt=N_("Do you have photos or voice notes? Send them now. If not, press Done."),
    ),
    Question(
        "phone",
        N_("A phone number where the unit can reach you (for example 0812-3456-7890)."),
        Kind.PHONE,
        N_("Contact phone"),
        skip=Option("", N_("I'd rather not give one")),
        child_prompt=N_("A phone number where we can call you (for example 0812-3456-7890)."),
    ),
    Question(
        "call_time",
        N_("Is it safe to call you? When?"),
        Kind.CHOICE,
        N_("Safe to call"),
        _opts(
            ("anytime", N_("Yes, any time")),
            ("office_hours", N_("Yes, during office hours")),
            ("evening", N_("Only in the evening")),
            ("chat_only", N_("No calls, chat only")),
        ),
        asked_if=lambda a: bool(a.get("phone")),
        child_prompt=N_("Is it safe for us to call you? When?"),
    ),
    Question(
        "help",
        N_("What help is wanted? Choose all that apply, then press Done."),
        Kind.MULTI,
        N_("Help wanted"),
        _kid_opts(
            ("counselling", N_("Counselling"), N_("Someone to talk to (counselling)")),
            ("legal", N_("Legal help"), N_("Help with the police and the court (legal help)")),
            ("psychological", N_("Psychological help"), N_("Help to feel better (psychologist)")),
            ("medical", N_("Medical help"), N_("A doctor or nurse (medical help)")),
            ("mediation", N_("Mediation"), N_("Talking it over with a go-between (mediation)")),
            (
                "accompaniment",
                N_("Accompaniment (police, hospital, court)"),
                N_("Someone to go with me (police, hospital, court)"),
            ),
            ("shelter", N_("Safe house / shelter"), N_("A safe place to stay (shelter)")),
            ("unsure", N_("Not sure yet"), N_("I don't know yet")),
        ),
        child_prompt=N_("What help do you want? Choose all that fit, then press Done."),
    ),
    Question(
        "notify",
        N_("Someone else may see this phone. How should we message you later about this report?"),
        Kind.CHOICE,
        N_("Later messages"),
        _opts(
            ("normal", N_("Normal messages")),
            ("neutral", N_("Neutral wording only (no mention of violence)")),
            ("none", N_("Do not message me; I will check with /status")),
        ),
        modes=frozenset({"reporter"}),
        child_prompt=N_("Someone else may see this phone. How should we send you messages later?"),
    ),
    Question(
        "child_ok",
        N_(
            "You were brave to tell us. We always take your report and act on it. "
            "Only the unit's staff will read it. To help you, they will ask a parent or "
            "guardian who did not hurt you for permission, or the child protection service "
            "if that is safer. You can call SAPA 129 at any time. Press OK to check your report."
        ),
        Kind.CHOICE,
        N_("Report of a child"),
        _opts(("yes", N_("OK"))),
        modes=frozenset({"reporter"}),
        asked_if=child_reporter,
    ),
    Question(
        "consent",
        CONSENT_TEXTS[CONSENT_VERSION],
        Kind.CHOICE,
        N_("Consent"),
        _opts(("yes", N_("I agree")), ("no", N_("I do not agree"))),
        # a child's report is always taken: she gets child_ok, her guardian consents later
        asked_if=lambda a: not (child_reporter(a) and a.get("child_ok")),
    ),
)
