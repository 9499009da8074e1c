"""The Rasa project stays in sync with the content: every key has an intent, a rule, examples."""

from pathlib import Path

import yaml

from bot.content.store import load_catalog
from bot.rasa.evaluation import load_examples
from tests.servers import ROOT


def _yaml(path: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_content_key_has_an_intent_a_rule_and_training_examples_in_both_languages() -> None:
    catalog = load_catalog(ROOT / "content")
    domain_intents = set(_yaml(ROOT / "domain.yml")["intents"])
    rules = _yaml(ROOT / "stories" / "answers.yml")["rules"]
    answered = {step["intent"] for rule in rules for step in rule["steps"] if "intent" in step}
    for language in ("de", "en"):
        trained = {intent for _, intent in load_examples(ROOT / "nlu" / f"{language}.yml")}
        tested = {intent for _, intent in load_examples(ROOT / "nlu" / "test" / f"{language}.yml")}
        for key in catalog.full_keys:
            intent = "ask_" + key.split(".", 1)[1]
            assert intent in domain_intents and intent in answered
            assert intent in trained and intent in tested, (language, intent)


def test_held_out_test_examples_are_never_training_examples() -> None:
    for language in ("de", "en"):
        train = {
            " ".join(t.lower().split()) for t, _ in load_examples(ROOT / "nlu" / f"{language}.yml")
        }
        test = [
            " ".join(t.lower().split())
            for t, _ in load_examples(ROOT / "nlu" / "test" / f"{language}.yml")
        ]
        assert not train.intersection(test)


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
