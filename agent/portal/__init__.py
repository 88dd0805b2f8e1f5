"""Portal automation: the browser, page objects (one per screen, label-driven from config/portal.toml),
human-input providers for captcha/OTP, and the flows that workflows call. Workflows never touch locators.
"""
