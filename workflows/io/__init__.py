"""The inputs of the processes, one module per process: pure dataclasses, no workflow code."""
