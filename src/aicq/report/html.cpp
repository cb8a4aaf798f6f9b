#include "aicq/report/html.hpp"
