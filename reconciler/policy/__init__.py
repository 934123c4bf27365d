"""The operator policy: where an environment of the (untrusted) platform repository may write.

The policy lives outside the platform repository (a file given by the operator); without one,
safe defaults apply. ``model`` is the file's schema, ``load`` reads it, ``enforcement`` binds it
to a repository and the daemon's namespace, ``places`` turns spec fields that name places into
checked paths, ``check`` checks a loaded spec against it, and ``resolve`` decides which policy
a command or the daemon runs under.
"""
