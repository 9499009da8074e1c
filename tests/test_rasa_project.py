"""The Rasa project stays in sync with the content: every key has an intent, a rule, examples.

Intents and rules of content keys are generated from the catalog (bot/rasa/training_data.py);
the examples are written by people, in every language, apart from the held-out sets.
"""

from pathlib import Path

import yaml

from bot.content.store import load_catalog
from bot.languages import LANGUAGES
from bot.rasa.evaluation import load_examples
from bot.rasa.training_data import NOTHING_TAUGHT, Taught, build_project, taught_elsewhere
from tests.servers import ROOT


def _yaml(path: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(path.read_text(encoding="utf-8"))


HELD_OUT = ROOT / "tests" / "nlu" / "heldout"
DEV = ROOT / "tests" / "nlu" / "dev"


def _normal(text: str) -> str:
    return " ".join(text.lower().split()).strip("?!.,")


def _generated(name: str, taught: Taught = NOTHING_TAUGHT) -> dict:  # type: ignore[type-arg]
    data: dict = yaml.safe_load(build_project(ROOT, taught).files[name])  # type: ignore[type-arg]
    return data


def test_every_intent_is_trained_and_tested_in_every_language() -> None:
    catalog = load_catalog(ROOT / "content")
    domain_intents = set(_generated("domain.yml")["intents"])
    rules = _generated("stories/answers.yml")["rules"]
    answered = {step["intent"] for rule in rules for step in rule["steps"] if "intent" in step}
    missing = []
    for language in LANGUAGES:
        trained = {intent for _, intent in load_examples(ROOT / "nlu" / f"{language}.yml")}
        tested = {intent for _, intent in load_examples(HELD_OUT / f"{language}.yml")}
        for key in catalog.full_keys:
            intent = "ask_" + key.split(".", 1)[1]
            assert intent in domain_intents and intent in answered, intent
            missing += [(language, intent, "train")] if intent not in trained else []
            missing += [(language, intent, "held-out")] if intent not in tested else []
        for intent in ("out_of_scope", "near_out_of_scope"):
            missing += [(language, intent, "train")] if intent not in trained else []
            missing += [(language, intent, "held-out")] if intent not in tested else []
    assert not missing, missing


def test_content_intents_and_rules_are_generated_never_written_by_hand() -> None:
    written = _yaml(ROOT / "domain.yml")["intents"]
    assert not [i for i in written if i.startswith("ask_")]
    assert not (ROOT / "stories" / "answers.yml").exists()
    assert set(written) <= set(_generated("domain.yml")["intents"])  # the others are kept


def test_a_taught_key_gets_its_intent_rule_and_examples_and_a_new_fingerprint() -> None:
    examples = (("ask_library_card", "Wie bekomme ich einen [Bibliotheksausweis](x)?"),)
    taught = Taught(keys=(("everyday.library_card", "everyday"),), examples=examples)
    project = build_project(ROOT, taught)
    assert "ask_library_card" in _generated("domain.yml", taught)["intents"]
    steps = [r["steps"] for r in _generated("stories/answers.yml", taught)["rules"]]
    assert [{"intent": "ask_library_card"}, {"action": "action_answer"}] in steps
    editors = yaml.safe_load(project.files["nlu/editors.yml"])["nlu"]
    # brackets would be read as an entity annotation
    assert editors == [
        {
            "intent": "ask_library_card",
            "examples": "- Wie bekomme ich einen Bibliotheksausweis (x)?\n",
        }
    ]
    assert project.fingerprint != build_project(ROOT).fingerprint
    assert build_project(ROOT, taught).fingerprint == project.fingerprint  # same data, same model


def test_a_phrasing_of_another_intent_is_found_in_the_files_and_in_what_was_taught() -> None:
    taught = [("ask_library_card", "Was brauche ich für einen Bibliotheksausweis?")]
    asked = [
        "INTEGRATIONSKURS   anmelden wo",  # nlu/de.yml, as Rasa reads it (case, spaces)
        "was brauche ich für einen BIBLIOTHEKSAUSWEIS?",  # taught in the browser
        "Wo ist die nächste Bücherei?",  # new
    ]
    assert taught_elsewhere(ROOT, taught, "ask_new_question", asked) == [
        (asked[0], "ask_integration_course"),
        (asked[1], "ask_library_card"),
    ]
    assert taught_elsewhere(ROOT, taught, "ask_library_card", asked[1:]) == []  # its own


def test_held_out_and_dev_examples_are_never_training_examples() -> None:
    """`rasa train --data nlu` cannot read them (they live under tests/), and no line is shared."""
    train = {_normal(t) for path in (ROOT / "nlu").glob("*.yml") for t, _ in load_examples(path)}
    assert not list((ROOT / "nlu").glob("**/test*")), "held-out data must not live under nlu/"
    for folder in (HELD_OUT, DEV):
        for path in folder.glob("*.yml"):
            shared = [t for t, _ in load_examples(path) if _normal(t) in train]
            assert not shared, (path.name, shared[:5])


def test_every_action_in_the_domain_exists_in_the_action_server() -> None:
    from rasa_sdk.interfaces import Action

    import bot.actions.answers
    import bot.actions.fallback
    import bot.actions.handoff
    import bot.actions.meta  # noqa: F401

    def subclasses(cls: type) -> list[type]:
        return [s for c in cls.__subclasses__() for s in (c, *subclasses(c))]

    names = {cls().name() for cls in subclasses(Action) if cls.__module__.startswith("bot.")}
    for action in _yaml(ROOT / "domain.yml")["actions"]:
        assert action in names, action
