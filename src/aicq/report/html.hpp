// HTML reports (stub until implemented).
#pragma once
