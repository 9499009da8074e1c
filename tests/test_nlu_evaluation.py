"""NLU quality per language on the blind held-out files, measured against the served model.

The gates come from the issue: at least 85% accuracy and at most 5% of out-of-scope questions
(near and far) answered with content, in every one of the twelve languages. The report is
printed in every run (and by `python -m bot nlu evaluate`).
"""

from __future__ import annotations

import pytest

from bot.languages import LANGUAGES
from bot.rasa.client import RasaClient
from bot.rasa.evaluation import evaluate
from tests.conftest import RasaServer
from tests.servers import ROOT

MINIMUM_ACCURACY = 0.85
MAXIMUM_OUT_OF_SCOPE_ACCEPTED = 0.05
MINIMUM_EXAMPLES = 100


@pytest.mark.e2e
async def test_every_language_understands_its_held_out_questions_and_declines_the_rest(
    rasa_server: RasaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    rasa = RasaClient(rasa_server.url, rasa_server.token)
    try:
        reports = await evaluate(rasa, ROOT / "tests" / "nlu" / "heldout")
    finally:
        await rasa.close()
    summary = "\n".join(report.summary() for report in reports)
    with capsys.disabled():  # shown in every `make test`, not only when it fails
        print("\nNLU on the blind held-out set, per language:\n" + summary)
    by_language = {report.language: report for report in reports}
    assert set(by_language) == set(LANGUAGES), summary
    failures = [
        report.summary()
        for report in reports
        if report.total < MINIMUM_EXAMPLES
        or report.accuracy < MINIMUM_ACCURACY
        or report.out_of_scope_accepted_rate > MAXIMUM_OUT_OF_SCOPE_ACCEPTED
    ]
    assert not failures, "\n".join(failures)
