import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]


def test_the_home_page_renders_in_a_real_browser(live_server, page):
    page.goto(live_server.url + "/")

    assert page.title() == "UrbanHarvest"
    assert "Fresh from local farms" in page.locator("h1").inner_text()
