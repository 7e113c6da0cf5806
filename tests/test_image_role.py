"""The image role: the OpenAI images backend against a local server with the real client (counted on the
server's side), and the film's reference images asked once per character and location."""

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from filmcraft.references.user_images import MIN_REFERENCE_SIDE
from resources.image import OpenAIImages, api_size
from resources.openai_backends import ModelRoleError
from tests.openai_server import OpenAIServer, Reply, image_reply, rate_limited

ROUTE = "POST /v1/images/generations"
KEY = "sk-test-image-secret-123456"


def picture(width=64, height=96, fmt="PNG", colour=(200, 60, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture
def server():
    with OpenAIServer() as srv:
        yield srv


def test_paints_a_png_reference(server, tmp_path):
    server.queue(ROUTE, image_reply(picture(fmt="JPEG")))
    out = tmp_path / "mara.png"
    OpenAIImages(server.base_url, "gpt-image-1", api_key=KEY).paint("Mara, a fisherwoman", 512, 768, out)
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (64, 96)  # a JPEG answer is stored as PNG
    sent = json.loads(server.requests[0][2])
    # gpt-image-1 answers in base64 by default and refuses response_format; the size is one it offers
    assert sent == {"model": "gpt-image-1", "prompt": "Mara, a fisherwoman", "n": 1, "size": "1024x1536"}
    assert server.calls("/images/generations") == 1


def test_dall_e_asks_for_base64_at_its_own_size(server, tmp_path):
    server.queue(ROUTE, image_reply(picture()))
    OpenAIImages(server.base_url, "dall-e-3").paint("a harbour", 1280, 720, tmp_path / "h.png")
    sent = json.loads(server.requests[0][2])
    assert sent["response_format"] == "b64_json" and sent["size"] == "1792x1024"
    assert api_size("gpt-image-1", 1280, 720) == (1536, 1024) and api_size("x", 300, 300) == (1024, 1024)


def test_429_is_retried_then_succeeds(server, tmp_path):
    server.queue(ROUTE, rate_limited("0"), image_reply(picture()))
    out = tmp_path / "a.png"
    OpenAIImages(server.base_url, "gpt-image-1", max_retries=2).paint("a harbour", 1280, 720, out)
    assert out.is_file() and server.calls("/images/generations") == 2


@pytest.mark.parametrize("bad", [
    Reply(body={"created": 1, "data": [{"b64_json": "not base64 at all!"}]}),
    image_reply(b"GIF89a but not really a picture"),
    image_reply(picture(MIN_REFERENCE_SIDE - 1, 200)),
    Reply(body={"created": 1, "data": [{"url": "https://example.com/x.png"}]}),
    Reply(body={"created": 1, "data": []}),
], ids=["not-base64", "not-an-image", "too-small", "url-only", "no-image"])
def test_unusable_answer_is_refused_after_one_repeat(server, tmp_path, bad):
    server.queue(ROUTE, bad)
    out = tmp_path / "a.png"
    with pytest.raises(ModelRoleError) as err:
        OpenAIImages(server.base_url, "gpt-image-1", api_key=KEY).paint("a harbour", 1280, 720, out)
    assert server.calls("/images/generations") == 2  # the request and exactly one repeat
    assert str(err.value).startswith("model role 'image' failed: ") and "after one repeated request" in str(err.value)
    assert not out.exists() and list(tmp_path.iterdir()) == []  # nothing half-written


def test_key_never_in_messages(server, tmp_path):
    server.queue(ROUTE, Reply(401, {"error": {"message": f"Incorrect API key provided: {KEY}"}}))
    with pytest.raises(ModelRoleError) as err:
        OpenAIImages(server.base_url, "gpt-image-1", api_key=KEY).paint("a harbour", 1280, 720, tmp_path / "a.png")
    message = str(err.value)
    assert KEY not in message and "[redacted]" in message and "FILMASTER_IMAGE_API_KEY" in message
    assert server.calls("/images/generations") == 1  # a 401 is not retried


# --- the film's reference images: once per character and location ------------------------------

THEME = ("At night in the harbour, Mara chases a thief along the wet docks. "
         "At dawn in the lighthouse, Tomas tells Mara the stolen compass was his brother's.")


@pytest.fixture(scope="module")
def script():
    """A real film's script, written by the offline director: (synopsis, scene blocks)."""
    from filmcraft import stages
    from filmcraft.contracts import FilmRequest

    req = FilmRequest(film_id="tiny", text=THEME, width=320, height=180, fps=12, max_scenes=2, max_shots_per_scene=2)
    syn = stages.synopsis(req, None)
    simple = stages.simplified_storyboard(syn, None)
    blocks = stages.scene_blocks("tiny", syn, simple, stages.detailed_storyboard(syn, simple, None), None,
                                 max_scenes=2, max_shots=2)
    return syn, blocks


def painter(request) -> Reply:
    """A picture per prompt (its colour from the prompt), so each name's image is its own, in the shape of
    the size asked (a sixteenth of it: small and quick)."""
    import hashlib

    digest = hashlib.sha256(request["prompt"].encode()).digest()
    width, height = (int(v) // 16 for v in request["size"].split("x"))
    return image_reply(picture(width, height, colour=tuple(digest[:3])))


def test_prompts_describe_each_name_in_the_films_look(script):
    from filmcraft.model_references import film_cast, image_size, reference_prompt

    syn, blocks = script
    cast = film_cast(blocks.scenes)
    # every place and person the scenes name, once, though Mara is in both scenes
    assert cast == [("location", "harbour"), ("character", "Mara"), ("character", "the thief"),
                    ("location", "lighthouse"), ("character", "Tomas")]
    harbour = reference_prompt("location", "harbour", syn)
    assert harbour.startswith(f'Location reference image for the {syn.mood} {syn.genre} "{syn.title}". harbour: ')
    assert syn.locations[0].description in harbour and "no people" in harbour and "No text" in harbour
    mara = reference_prompt("character", "Mara", syn)
    # the offline synopsis describes Mara as "Mara, as the story names them": the name is not said twice
    assert "Mara: Mara" not in mara and syn.characters[0].description in mara and "one person" in mara
    thief = reference_prompt("character", "the thief", syn)
    assert "the thief: a thief." in thief
    assert reference_prompt("character", "Nobody", syn).count("Nobody.") == 1  # no description: the name alone
    assert image_size("location", 1280, 720) == (1280, 720) and image_size("character", 1280, 720) == (480, 720)


def test_one_request_per_character_and_location_for_the_whole_film(server, script, tmp_path):
    from filmcraft.model_references import film_reference_images, model_images
    from filmcraft.references.reference_sets import clip_references, load_reference_set
    from filmcraft.store import Studio

    syn, blocks = script
    refs_dir = tmp_path / "refs" / "characters"
    refs_dir.mkdir(parents=True)
    (refs_dir / "tomas.png").write_bytes(picture(80, 120, colour=(1, 2, 3)))  # the user's own image of Tomas
    server.queue(ROUTE, painter)
    image = OpenAIImages(server.base_url, "gpt-image-1")
    studio = Studio(tmp_path / "studio")
    out = tmp_path / "film" / "references"

    made = film_reference_images("tiny", blocks.scenes, syn, tmp_path / "refs", image, studio, out, 320, 180)
    # 2 locations + Mara + the thief; Tomas has the user's image: 4 requests for a film of two scenes
    assert server.calls("/images/generations") == 4
    by_name = {r.name: r for r in made.references}
    assert by_name["Tomas"].source == "user" and by_name["Tomas"].path is None
    assert {n for n, r in by_name.items() if r.source == "model"} == {"harbour", "lighthouse", "Mara", "the thief"}
    assert not any(r.cached for r in made.references) and made.image_model == "openai-compatible:gpt-image-1"
    assert Path(made.contact_sheet_path).is_file()
    sizes = sorted(json.loads(body)["size"] for _m, _p, body in server.requests)
    assert sizes == ["1024x1536", "1024x1536", "1536x1024", "1536x1024"]  # portraits, and the film's frame

    # every scene's set takes the film's images; the clips featuring them are given them
    images = model_images(made)
    for scene in blocks.scenes:
        refs = load_reference_set(scene, tmp_path / "refs", tmp_path / "cards" / scene.scene_id, 320, 180, images)
        assert refs.location.painted_by == image.name and not refs.location.generated
        with Image.open(refs.location.path) as plate, Image.open(by_name[scene.location].path) as source:
            assert plate.size == (320, 180) and plate.getpixel((160, 90)) == source.getpixel((48, 32))
        for c in refs.characters:
            if c.name == "Tomas":  # a user image is never replaced
                assert c.painted_by is None and not c.generated
                with Image.open(c.path) as im:
                    assert im.getpixel((10, 10)) == (1, 2, 3)
            else:
                assert c.painted_by == image.name and not c.generated
        for shot in scene.shots:
            given = clip_references(shot, refs, 3)
            assert given[-1] == refs.location and all(r.painted_by or r.name == "Tomas" for r in given)

    # a second pass (a re-run, or another scene's) asks nothing: the cache answers
    again = film_reference_images("tiny", blocks.scenes, syn, tmp_path / "refs", image, studio, out, 320, 180)
    assert server.calls("/images/generations") == 4
    assert all(r.cached for r in again.references if r.source == "model")


def test_offline_the_painted_cards_stay(script, tmp_path):
    from filmcraft.model_references import film_reference_images, model_images
    from filmcraft.references.reference_sets import load_reference_set
    from filmcraft.store import Studio

    syn, blocks = script
    made = film_reference_images("tiny", blocks.scenes, syn, None, None, Studio(tmp_path / "s"),
                                 tmp_path / "references", 320, 180)
    assert made.image_model is None and made.contact_sheet_path is None
    assert {r.source for r in made.references} == {"card"} and all(r.prompt for r in made.references)
    assert model_images(made) == {}
    scene = blocks.scenes[0]
    with_none = load_reference_set(scene, None, tmp_path / "a", 320, 180, model_images(made))
    before = load_reference_set(scene, None, tmp_path / "b", 320, 180)
    # the same painted cards, byte for byte, as before image models existed
    assert [Path(r.path).read_bytes() for r in [with_none.location, *with_none.characters]] == \
           [Path(r.path).read_bytes() for r in [before.location, *before.characters]]
    assert with_none.location.generated and with_none.location.painted_by is None


def test_reference_images_asset_asks_once_per_film(server, tmp_path):
    """The asset as Dagster runs it: N+M requests on the first materialization, none on the second, the
    same data version (the film's clips stay fresh), the images and their prompts in the UI metadata."""
    import dagster as dg

    from filmaster_assets.definitions import ASSET_MODULES
    from filmcraft.contracts import FilmReferenceImages
    from filmcraft.layout import FilmLayout
    from filmcraft.store import read_model
    from resources import build_resources
    from resources.film_store import FilmStoreIOManager
    from resources.image import ImageResource
    from resources.studio import StudioResource

    server.queue(ROUTE, painter)
    assets = dg.load_assets_from_modules(ASSET_MODULES)
    resources = {**build_resources(), "studio": StudioResource(root=str(tmp_path)),
                 "io_manager": FilmStoreIOManager(root=str(tmp_path)),
                 "image": ImageResource(base_url=server.base_url, api_key=KEY)}
    config = {"film_request": {"config": {"text": THEME, "width": 320, "height": 180, "fps": 12, "max_scenes": 2,
                                          "max_shots_per_scene": 2}}}
    script = ["film_request", "synopsis", "simplified_storyboard", "detailed_storyboard", "scene_blocks",
              "reference_images"]

    def materialize(instance, selection):
        result = dg.materialize(assets, selection=selection, partition_key="tiny", instance=instance,
                                resources=resources, run_config={"ops": config if "film_request" in selection else {}})
        (event,) = [m for m in result.get_asset_materialization_events()
                    if m.asset_key == dg.AssetKey("reference_images")]
        return event.materialization

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("filmaster_films", ["tiny"])
        first = materialize(instance, script)
        assert server.calls("/images/generations") == 5  # harbour, lighthouse, Mara, the thief, Tomas
        second = materialize(instance, ["reference_images"])
        assert server.calls("/images/generations") == 5  # the second materialization asks nothing
    meta1, meta2 = first.metadata, second.metadata
    assert (meta1["requested"].value, meta1["from_cache"].value) == (5, 0)
    assert (meta2["requested"].value, meta2["from_cache"].value) == (0, 5)
    assert first.tags["dagster/data_version"] == second.tags["dagster/data_version"]
    assert "data:image/jpeg;base64," in meta1["contact_sheet"].value
    assert meta1["image_model"].value == "openai-compatible:gpt-image-1"
    rows = meta1["images"].value.records
    assert {r.data["name"] for r in rows} == {"harbour", "lighthouse", "Mara", "the thief", "Tomas"}
    assert all(r.data["prompt"] for r in rows)
    stored = read_model(FilmLayout(tmp_path / "tiny").reference_images, FilmReferenceImages)
    assert all(Path(r.path).is_file() for r in stored.references)
    assert not any(KEY.encode() in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_reference_images_asset_offline_says_the_cards_are_used(tmp_path):
    import dagster as dg

    from filmaster_assets.definitions import ASSET_MODULES
    from resources import build_resources
    from resources.film_store import FilmStoreIOManager
    from resources.studio import StudioResource

    assets = dg.load_assets_from_modules(ASSET_MODULES)
    resources = {**build_resources(), "studio": StudioResource(root=str(tmp_path)),
                 "io_manager": FilmStoreIOManager(root=str(tmp_path))}
    config = {"film_request": {"config": {"text": THEME, "width": 320, "height": 180, "max_scenes": 2}}}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("filmaster_films", ["tiny"])
        result = dg.materialize(assets, selection=["film_request", "synopsis", "simplified_storyboard",
                                                   "detailed_storyboard", "scene_blocks", "reference_images"],
                                partition_key="tiny", instance=instance, resources=resources,
                                run_config={"ops": config})
    (event,) = [m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey("reference_images")]
    meta = event.materialization.metadata
    assert meta["references"].value == "painted cards (offline: no FILMASTER_IMAGE_BASE_URL)"
    assert (meta["painted_cards"].value, meta["model_images"].value, meta["requested"].value) == (5, 0, 0)
    assert "contact_sheet" not in meta and not (tmp_path / "tiny" / "references" / "contact_sheet.png").exists()


def test_image_role_is_configured_from_the_environment(monkeypatch):
    import dagster as dg

    from resources import backends_summary, build_resources

    assert build_resources()["image"].image_model() is None  # offline by default: the painted cards
    monkeypatch.setenv("FILMASTER_IMAGE_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("FILMASTER_IMAGE_MODEL", "dall-e-3")
    monkeypatch.setenv("FILMASTER_IMAGE_TIMEOUT", "30")
    resources = build_resources()
    model = resources["image"].image_model()
    assert model.name == "openai-compatible:dall-e-3" and model.endpoint.timeout_s == 30
    assert backends_summary(resources)["image"] == "openai-compatible:dall-e-3"
    monkeypatch.setenv("FILMASTER_IMAGE_BACKEND", "comfyui")  # without its workflow: named, with the fix
    with pytest.raises(dg.Failure, match=r"ComfyUI backend: FILMASTER_COMFYUI_IMAGE_WORKFLOW='.*': no such file"):
        build_resources()["image"].image_model()
    monkeypatch.setenv("FILMASTER_IMAGE_BACKEND", "comfyiu")
    with pytest.raises(dg.Failure, match=r"FILMASTER_IMAGE_BACKEND='comfyiu' is not an image backend: choose one "
                                         r"of comfyui, openai"):
        build_resources()["image"].image_model()


# --- the fault matrix of every model role (tests/test_faults.py), for the image role --------------

IMAGE_MATRIX = [(f, m) for f in ("429", "500", "hang", "truncated_json", "wrong_schema", "empty", "empty_body")
                for m in ("transient", "persistent")]


@pytest.mark.parametrize("fault,mode", IMAGE_MATRIX, ids=[f"image-{f}-{m}" for f, m in IMAGE_MATRIX])
def test_image_fault(fault, mode, server, tmp_path):
    """As for the other roles: a transient fault costs exactly one more request and the image is written
    once; a persistent one fails naming the role and the fault after exactly 2 requests, leaving nothing."""
    import re
    import time

    from tests.openai_server import always, transient
    from tests.test_faults import FAULT_MESSAGE, TIMEOUT_S, Role, _fault_reply

    out = tmp_path / "refs" / "harbour.png"
    role = Role("image", {ROUTE: image_reply(picture())}, {}, {
        "wrong_schema": Reply(body={"created": 1, "images": [{"png": "..."}]}),
        "empty": Reply(body={"created": 1, "data": []})}, None, None, None)
    persistent = mode == "persistent"
    bad = _fault_reply(role, fault, ROUTE, persistent)
    flaky = always(bad) if persistent else transient(bad, role.good[ROUTE])
    server.queue(ROUTE, flaky)
    painter_ = OpenAIImages(server.base_url, "gpt-image-1", timeout_s=TIMEOUT_S, max_retries=1)
    start = time.monotonic()
    if persistent:
        with pytest.raises(ModelRoleError) as err:
            painter_.paint("a harbour", 1280, 720, out)
        message = str(err.value)
        assert message.startswith("model role 'image' failed: ") and re.search(FAULT_MESSAGE[fault], message), message
        assert not out.parent.exists() or list(out.parent.iterdir()) == []
    else:
        painter_.paint("a harbour", 1280, 720, out)
        with Image.open(out) as im:
            assert im.size == (64, 96)
        assert [p.name for p in out.parent.iterdir()] == ["harbour.png"]  # no temp left behind
        if fault == "429":
            assert time.monotonic() - start >= 0.9, "the client did not wait for Retry-After: 1"
    assert server.calls("/images/generations") == 2 and flaky.faults_served == (2 if persistent else 1)
