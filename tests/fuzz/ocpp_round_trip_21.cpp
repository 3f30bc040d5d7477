// The round trips of ocpp_round_trip.hpp for OCPP 2.1, instantiated once for the fuzz targets that
// share them (one file per version, so that they compile in parallel).
#include "tests/fuzz/ocpp_round_trip.hpp"

namespace evbroker::fuzz {

template bool decode_round_trip<ocpp21_api, ocpp21::Request>(ocpp21_api::Action, std::string_view, bool,
                                                             ocpp21::Request*, std::size_t);
template bool decode_round_trip<ocpp21_api, ocpp21::Response>(ocpp21_api::Action, std::string_view, bool,
                                                              ocpp21::Response*, std::size_t);

}  // namespace evbroker::fuzz
