"""Processing the stored inbox: the worker pool that runs each chat's updates in order."""
