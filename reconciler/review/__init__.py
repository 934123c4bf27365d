"""Review of a change between two revisions of the platform, with no cluster (pure).

``loading`` turns a revision's files into a side that renders (or its errors); ``compare``
pairs the objects of one cluster; ``cost``, ``schedules`` and ``traffic`` say what the change
costs and moves; ``build`` assembles the Review; ``text`` and ``markdown`` show it.
"""
