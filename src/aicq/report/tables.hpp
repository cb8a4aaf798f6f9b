// Markdown and CSV reports (stub until implemented).
#pragma once
