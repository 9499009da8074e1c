"""NLU quality on held-out data, per language, measured against the served model.

Fails below 90% intent accuracy for German and English. The report (with the most frequent
confusions) is written to reports/nlu-evaluation.txt for editors and printed on failure.
"""

from __future__ import annotations

import pytest

from bot.rasa.client import RasaClient
from bot.rasa.evaluation import evaluate
from tests.conftest import RasaServer
from tests.servers import ROOT

MINIMUM_ACCURACY = {"de": 0.90, "en": 0.90}


@pytest.mark.e2e
async def test_intent_accuracy_on_held_out_examples_per_language(rasa_server: RasaServer) -> None:
    rasa = RasaClient(rasa_server.url)
    try:
        reports = await evaluate(rasa, ROOT / "nlu" / "test")
    finally:
        await rasa.close()
    summary = "\n".join(report.summary() for report in reports)
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / "nlu-evaluation.txt").write_text(summary + "\n")
    print("\n" + summary)
    by_language = {report.language: report for report in reports}
    for language, minimum in MINIMUM_ACCURACY.items():
        assert by_language[language].total >= 200, summary
        assert by_language[language].accuracy >= minimum, summary
