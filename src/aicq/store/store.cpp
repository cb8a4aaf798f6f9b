#include "aicq/store/store.hpp"
