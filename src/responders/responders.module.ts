import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EchoResponder } from './built-in/echo.responder';
import { ResponderRegistry } from './responder.registry';

/** Add a bot behaviour: write a @Responder() class and list it in `providers` here. */
@Module({
  imports: [DiscoveryModule],
  providers: [ResponderRegistry, EchoResponder],
  exports: [ResponderRegistry],
})
export class RespondersModule {}
