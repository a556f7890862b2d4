import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EchoResponder } from './built-in/echo.responder';
import { HelpResponder } from './built-in/help.responder';
import { StopResponder } from './built-in/stop.responder';
import { ResponderRegistry } from './responder.registry';

/**
 * The built-in responders and the registry that finds every @Responder() in the app. Add a bot behaviour:
 * write a @Responder() class and list it in `providers` here, or in a module of your own imported by AppModule
 * (see src/responders/examples).
 */
@Module({
  imports: [DiscoveryModule],
  providers: [ResponderRegistry, HelpResponder, StopResponder, EchoResponder],
  exports: [ResponderRegistry],
})
export class RespondersModule {}
