"""Process wiring shared by the worker, the API and the tests: settings, Temporal, the worker."""
