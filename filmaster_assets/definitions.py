"""The one Definitions object: loaded by workspace.yaml and by pyproject ([tool.dagster]),
both under the code location name ``filmaster``."""

import dagster as dg

from filmaster_assets.defs.camera import assets as camera
from filmaster_assets.defs.corpus import assets as corpus
from filmaster_assets.defs.corpus.sensors import CORPUS_SENSORS
from filmaster_assets.defs.cut import assets as cut
from filmaster_assets.defs.deliver import assets as deliver
from filmaster_assets.defs.evaluation import assets as evaluation
from filmaster_assets.defs.script import assets as script
from filmaster_assets.defs.sound import assets as sound
from filmaster_assets.jobs import ALL_JOBS
from filmaster_assets.sensors import ALL_SENSORS
from resources import build_resources



def build_defs() -> dg.Definitions:
    """Resources are read from the environment at build time, so the CLI builds after setting it."""
    return dg.Definitions(
        assets=dg.load_assets_from_modules([corpus, script, camera, cut, sound, deliver, evaluation]),
        jobs=[*ALL_JOBS, evaluation.benchmark_report_job],
        sensors=ALL_SENSORS + CORPUS_SENSORS,
        resources=build_resources(),
    )


defs = build_defs()
