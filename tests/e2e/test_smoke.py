def test_home_page_renders_in_chromium(live_url, page):
    response = page.goto(live_url + "/")
    assert response.status == 200
    assert page.locator("a.skip-link").count() == 1
