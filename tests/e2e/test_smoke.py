def test_pages_run_under_csp_without_console_errors(live_url, page, console_errors):
    """The real CSP is active in the test browser: any inline script/style would be reported."""
    for path in ("/", "/anmelden/", "/api/docs"):
        response = page.goto(live_url + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    assert "script-src" in (response.headers.get("content-security-policy") or "")
    assert console_errors == []
