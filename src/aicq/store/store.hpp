// The store: one SQLite database (conventions: paths) holding the result history. Stub until implemented.
#pragma once
