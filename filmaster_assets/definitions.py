"""The one Definitions object: loaded by workspace.yaml and by pyproject ([tool.dagster]),
both under the code location name ``filmaster``.

Each ``defs/<domain>/`` folder owns its assets, checks and sensors; jobs and partitions are shared.
Every asset's code version is derived from its code (``code_versions``), never written by hand.
"""

import dagster as dg

from filmaster_assets.code_versions import with_derived_code_versions
from filmaster_assets.defs.camera import assets as camera, sensors as camera_sensors
from filmaster_assets.defs.corpus import assets as corpus, sensors as corpus_sensors
from filmaster_assets.defs.cut import assets as cut, sensors as cut_sensors
from filmaster_assets.defs.deliver import assets as deliver, checks as deliver_checks
from filmaster_assets.defs.evaluation import assets as evaluation, checks as evaluation_checks, sensors as evaluation_sensors
from filmaster_assets.defs.script import assets as script, sensors as script_sensors
from filmaster_assets.defs.sound import assets as sound, checks as sound_checks
from filmaster_assets.execution import executor_def
from filmaster_assets.jobs import ALL_JOBS
from resources import build_resources

ASSET_MODULES = [corpus, script, camera, cut, sound, deliver, evaluation]
CHECK_MODULES = [sound_checks, deliver_checks, evaluation_checks]
SENSOR_MODULES = [script_sensors, camera_sensors, cut_sensors, corpus_sensors, evaluation_sensors]


def build_defs() -> dg.Definitions:
    """Resources are read from the environment at build time, so the CLI builds after setting it."""
    assets = dg.load_assets_from_modules(ASSET_MODULES)
    materializable = [a for a in assets if isinstance(a, dg.AssetsDefinition) and a.is_executable]
    external = [a for a in assets if a not in materializable]
    return dg.Definitions(
        assets=[*with_derived_code_versions(materializable), *external],
        asset_checks=dg.load_asset_checks_from_modules(CHECK_MODULES),
        jobs=ALL_JOBS,
        sensors=[s for m in SENSOR_MODULES for s in vars(m).values() if isinstance(s, dg.SensorDefinition)],
        resources=build_resources(),
        executor=executor_def(),
    )


defs = build_defs()
