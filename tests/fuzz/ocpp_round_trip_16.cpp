// The round trips of ocpp_round_trip.hpp for OCPP 1.6, instantiated once for the fuzz targets that
// share them (one file per version, so that they compile in parallel).
#include "tests/fuzz/ocpp_round_trip.hpp"

namespace evbroker::fuzz {

template bool decode_round_trip<ocpp16_api, ocpp16::Request>(ocpp16_api::Action, std::string_view, bool,
                                                             ocpp16::Request*, std::size_t);
template bool decode_round_trip<ocpp16_api, ocpp16::Response>(ocpp16_api::Action, std::string_view, bool,
                                                              ocpp16::Response*, std::size_t);

}  // namespace evbroker::fuzz
