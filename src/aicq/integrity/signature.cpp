#include "aicq/integrity/signature.hpp"
