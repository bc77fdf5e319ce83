"""What tests share: fixture plugins (loaded by tests/conftest.py), helpers, factories and the test
servers. Test modules import from here, never from each other or from conftest."""
