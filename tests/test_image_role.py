"""The image role: the OpenAI images backend against a local server with the real client (counted on the
server's side), and the film's reference images asked once per character and location."""

import io
import json

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
