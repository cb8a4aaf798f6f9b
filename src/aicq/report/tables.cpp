#include "aicq/report/tables.hpp"
