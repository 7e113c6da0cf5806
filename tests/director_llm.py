"""A chat responder for the local test server that answers each text role the way a model would:
it reads the JSON schema name and the payload from the request and answers with the offline
director's output for that payload. Tests can then count real HTTP calls per role and per scene."""

from __future__ import annotations

import json
from collections import Counter

from filmcraft.contracts import (AudienceProfile, AudienceReview, DetailedStoryboard, FilmRequest, SceneBlock, SceneContinuity,
                                 SceneReferences, SimplifiedStoryboard, Synopsis)
from filmcraft.director import camera, script
from tests.openai_server import chat_reply


class DirectorLLM:
    def __init__(self):
        self.calls: Counter[str] = Counter()  # schema name -> calls
        self.scene_calls: Counter[str] = Counter()  # scene id -> ScenePlan calls

    def __call__(self, request: dict):
        schema = request["response_format"]["json_schema"]["name"]
        payload = json.loads(request["messages"][1]["content"])
        self.calls[schema] += 1
        return chat_reply(json.dumps(self.answer(schema, payload)))

    def answer(self, schema: str, p: dict) -> dict:
        if schema == "Synopsis":
            return script.write_synopsis(FilmRequest(film_id="llm", text=p["theme"])).model_dump(mode="json")
        if schema == "SimplifiedStoryboard":
            return script.simplify_storyboard(Synopsis(**p["synopsis"])).model_dump(mode="json")
        if schema == "DetailedStoryboard":
            syn = Synopsis(**p["synopsis"])
            return script.detail_storyboard(syn, SimplifiedStoryboard(**p["causal_chain"])).model_dump(mode="json")
        if schema == "SceneBlocks":
            syn = Synopsis(**p["synopsis"])
            board = DetailedStoryboard(**p["storyboard"])
            return script.structure_scene_blocks(p["film_id"], syn, script.simplify_storyboard(syn), board).model_dump(mode="json")
        if schema == "ScenePlan":
            block = SceneBlock(**p["scene_block"])
            self.scene_calls[block.scene_id] += 1
            continuity = SceneContinuity(**p["continuity"]) if p.get("continuity") else None
            return camera.replan_scene(block, SceneReferences(**p["references"]), continuity).model_dump(mode="json")
        if schema == "AudienceReview":
            # The payload carries only the cut's text description: a terse viewer with no notes.
            profile = AudienceProfile(**p["profile"])
            return AudienceReview(profile=profile.name, summary=f"watched {p['runtime_s']:.1f}s", notes=[]).model_dump(mode="json")
        if schema == "EditAnalysis":
            return {"actions": [{"group": "timing", "action": "retain", "shot_id": s["shot_id"], "reason": "keeps pace"}
                                for s in p["shots"]]}
        raise ValueError(f"no responder for schema {schema}")
