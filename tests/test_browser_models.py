"""A developer's model in the browser: a plugin architecture served by ``xai-demo serve --plugin``, and models
passed in memory to ``build_app(models=...)``; each is picked in Explore, with an explained class, and mapped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import launched_browser, open_page, start_server

pytestmark = pytest.mark.browser

TIMEOUT = 120_000  # ms: two shared cores
PLUGIN = '''
from torch import nn
from xai_demo import register_model

@register_model(description="browser test plugin net", in_channels=3, mean=(0.485, 0.456, 0.406),
                std=(0.229, 0.224, 0.225))
def browser_plugin_net(num_classes, in_channels=3, input_size=48):
    net = nn.Sequential()
    net.add_module("conv", nn.Conv2d(in_channels, 8, 3, padding=1))
    net.add_module("act", nn.ReLU())
    net.add_module("pool", nn.AdaptiveAvgPool2d(1))
    net.add_module("flat", nn.Flatten())
    net.add_module("head", nn.Linear(8, num_classes))
    return net, "act"
'''


@pytest.fixture(scope="module")
def browser():
    with launched_browser() as b:
        yield b


@pytest.fixture(scope="module")
def plugin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``xai-demo serve --plugin`` on a folder holding one checkpoint of the plugin's three-class architecture."""
    from xai_demo.models import MODELS, create_model
    from xai_demo.plugins import load_plugin

    root = tmp_path_factory.mktemp("browser_plugin")
    plugin = root / "browser_nets.py"
    plugin.write_text(PLUGIN)
    load_plugin(str(plugin))
    try:
        from xai_demo import save_checkpoint

        model = create_model("browser_plugin_net", class_names=("normal", "bacterial", "viral"), input_size=48)
        save_checkpoint(root / "models" / "plugin_net.pt", model, train_config={"dataset": "plugin data"})
    finally:
        MODELS.remove("browser_plugin_net")
    server = start_server(["--plugin", str(plugin), "--models", str(root / "models")], timeout=300)
    yield server.url
    server.stop()


def _explain_with(page, model_text: str, class_text: str) -> None:  # noqa: ANN001
    page.locator("#model input").click()
    page.locator("#model [role=option]", has_text=model_text).first.click()
    page.locator("#target input").click()
    page.locator("#target [role=option]", has_text=class_text).first.click()
    page.locator("#explain").click()
    page.wait_for_function(f"() => document.querySelector('#prediction-text').innerText.includes({model_text!r})",
                           timeout=TIMEOUT)
    page.wait_for_selector("#maps img", timeout=TIMEOUT)


def test_a_plugin_model_is_picked_in_explore_and_mapped(browser, plugin_server: str) -> None:
    watched = open_page(browser, plugin_server)
    page = watched.page
    page.wait_for_selector("#maps img", timeout=TIMEOUT)  # the first case, explained on load
    _explain_with(page, "plugin data", "viral")
    assert "Grad-CAM" in " ".join(page.locator("#maps").all_inner_texts())
    watched.check()


def test_in_memory_models_are_picked_in_explore_and_mapped(browser) -> None:
    from xai_demo.models import create_model
    from xai_demo.ui import build_app, launch

    demo = build_app(models={"in-memory net": create_model("resnet18", input_size=32,
                                                           class_names=("a", "b", "c", "d"))})
    launch(demo, "127.0.0.1", None, warm_up=False, prevent_thread_lock=True)
    try:
        watched = open_page(browser, demo.local_url)
        watched.page.wait_for_selector("#maps img", timeout=TIMEOUT)
        _explain_with(watched.page, "in-memory net", "d")
        watched.check()
    finally:
        demo.close()

