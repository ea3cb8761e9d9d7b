"""The read model: a projection of the processes, written by activities, read by the API."""
