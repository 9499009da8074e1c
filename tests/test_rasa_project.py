"""The Rasa project stays in sync with the content: every key has an intent, a rule, examples."""

from pathlib import Path

import yaml

from bot.content.store import load_catalog
from bot.languages import LANGUAGES
from bot.rasa.evaluation import load_examples
from tests.servers import ROOT


def _yaml(path: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(path.read_text(encoding="utf-8"))


HELD_OUT = ROOT / "tests" / "nlu" / "heldout"
DEV = ROOT / "tests" / "nlu" / "dev"


def _normal(text: str) -> str:
    return " ".join(text.lower().split()).strip("?!.,")


def test_every_intent_is_trained_and_tested_in_every_language() -> None:
    catalog = load_catalog(ROOT / "content")
    domain_intents = set(_yaml(ROOT / "domain.yml")["intents"])
    rules = _yaml(ROOT / "stories" / "answers.yml")["rules"]
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
